# The in-cluster image of `kubectl skew watch` (docs/watch.md): the release's own Linux
# archive, unpacked onto distroless/static (no shell, no package manager, a non-root user).
# Built by the image job of .github/workflows/release.yml after `make dist`:
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=v1.2.3 .
# No RUN step, so building for another architecture needs no emulator.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
ARG TARGETOS
ARG TARGETARCH
# ADD unpacks a local .tar.gz: the very binary krew installs.
ADD dist/kubectl-skew_${VERSION}_${TARGETOS}_${TARGETARCH}.tar.gz /opt/kubectl-skew/
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/opt/kubectl-skew/kubectl-skew", "watch"]
CMD ["--metrics-addr", ":9090"]
