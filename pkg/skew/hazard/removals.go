package hazard

// removals is the removed-flags table SKEW906 judges node-args against; a variable so
// tests can inject data.
var removals = func() []RemovedFlag { return RemovedFlags }
