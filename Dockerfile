# snapset's container image: the static (musl) binary and nothing else — no
# shell, no libc, no package manager. It needs none: git is read through
# libgit2 and TLS roots are compiled in. Built by
# .github/workflows/release.yml for linux/amd64 and linux/arm64 from the
# binaries of the release, which it unpacks to dist/linux-<arch>/snapset.
#
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" -w /work \
#       ghcr.io/snapset-dev/snapset:0.1.0 check
FROM scratch
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/snapset /usr/local/bin/snapset
# Not root. Run it as the owner of the mounted workspace (-u above): libgit2,
# like git, refuses a repository owned by another user, and what `render`
# writes then belongs to that user. Registry credentials: mount a
# config.json and set DOCKER_CONFIG (docs/images.md).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/snapset"]
CMD ["--help"]
