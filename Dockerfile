# Warren in a container: the CLI, the TUI and the user-update services
# (warren user-service, warren profile-service) in one static binary.
#
#   docker build -t warren .
#   docker-compose up          # RabbitMQ + both services (see docs/user-update.md)

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a change to the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: everything is pure Go (the services' stores are bbolt), so
# the binary is static and runs on an image with no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/warren . \
 && mkdir -p /out/data

# distroless/static: no shell, no package manager, a non-root user; about
# 2 MB plus the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/warren /warren
# The services keep their store files here (a volume in docker-compose);
# owned by the nonroot user (65532) so a fresh named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
EXPOSE 3000 3001
ENTRYPOINT ["/warren"]
