package preflight

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// checkPullSecrets: each --image-pull-secret exists in the controller's namespace and
// holds registry credentials, or every Job would fail to pull its image.
func checkPullSecrets(v verdicts, f *Facts, o Options) {
	if len(o.ImagePullSecrets) == 0 {
		v.add(CheckPullSecrets, Pass, "none given: the upgrade images are pulled without credentials", "")
		return
	}
	var bad []string
	forbidden := false
	for _, n := range o.ImagePullSecrets {
		err := f.PullSecretErrs[n]
		s := f.PullSecrets[n]
		switch {
		case apierrors.IsNotFound(err):
			bad = append(bad, fmt.Sprintf("%s does not exist in %s", n, o.Namespace))
		case apierrors.IsForbidden(err):
			forbidden = true
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: %v", n, err))
		case s == nil:
			bad = append(bad, n+" was not read")
		case s.Type != corev1.SecretTypeDockerConfigJson:
			bad = append(bad, fmt.Sprintf("%s has type %s, not %s", n, s.Type, corev1.SecretTypeDockerConfigJson))
		}
	}
	fix := fmt.Sprintf("create it in %s: kubectl -n %s create secret docker-registry <name> --docker-server=<registry> --docker-username=<user> --docker-password=<password>", o.Namespace, o.Namespace)
	switch {
	case len(bad) > 0:
		v.add(CheckPullSecrets, Fail, strings.Join(bad, "; ")+": the Jobs could not pull the upgrade image", fix)
	case forbidden:
		v.add(CheckPullSecrets, Skipped, "cannot read secrets in "+o.Namespace+" (forbidden), so the pull secrets are unchecked", "ask for get on secrets in "+o.Namespace)
	default:
		v.add(CheckPullSecrets, Pass, fmt.Sprintf("%s in %s, of type %s", strings.Join(o.ImagePullSecrets, ", "), o.Namespace, corev1.SecretTypeDockerConfigJson), "")
	}
}
