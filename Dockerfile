# syntax=docker/dockerfile:1
# FileService container image.
#   docker build -t fileservice .
#   docker run -p 8080:8080 -v fileservice-data:/app/data fileservice
# scripts/publish-smoke.sh runs the same `dotnet publish` without Docker, so keep the two in step.

# ---- build ---------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore from the project files alone, so the NuGet layer is reused until a package or a
# build property changes rather than on every source edit.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/FileService.Storage/FileService.Storage.csproj src/FileService.Storage/
COPY src/FileService.Api/FileService.Api.csproj src/FileService.Api/
RUN dotnet restore src/FileService.Api/FileService.Api.csproj

COPY src/ src/
# UseAppHost=false: the image starts the app with `dotnet FileService.Api.dll`, so the native launcher is dead weight.
RUN dotnet publish src/FileService.Api/FileService.Api.csproj -c Release -o /app --no-restore /p:UseAppHost=false

# ---- runtime -------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app

# The published files stay owned by root, so the app cannot rewrite its own binaries. Only /app/data,
# where the embedded default keeps ./data/files and ./data/fileservice.db (relative to WORKDIR), is
# writable by the image's non-root `app` user ($APP_UID, 1654). It is created before VOLUME so a
# fresh named volume is initialised with this ownership.
RUN mkdir -p /app/data && chown "$APP_UID:$APP_UID" /app/data
VOLUME /app/data

COPY --from=build /app .

ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID

# No HEALTHCHECK: the aspnet image ships neither curl nor wget, and adding one would grow the attack
# surface for a check that Kubernetes ignores anyway. Orchestrators probe GET /health/live (liveness)
# and GET /health/ready (readiness) on port 8080 directly: see deploy/k8s/deployment.yaml, and
# deploy/docker-compose.yml for a shell-only probe usable with plain Docker.
# SIGTERM (Docker's default stop signal) starts ASP.NET Core's graceful shutdown: give the container
# a stop timeout (docker stop -t / terminationGracePeriodSeconds) longer than your slowest upload.
ENTRYPOINT ["dotnet", "FileService.Api.dll"]
