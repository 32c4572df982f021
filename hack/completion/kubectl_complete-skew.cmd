@echo off
rem kubectl 1.26+ runs kubectl_complete-skew (found through PATHEXT) to complete "kubectl skew <TAB>".
kubectl-skew.exe __complete %*
