# DockerForge as an image. Run it with the engine's socket mounted by you, e.g.:
#   docker run --rm -it -v /var/run/docker.sock:/var/run/docker.sock dockerforge
# (The socket grants control of the engine: mount it only where you would run `docker` yourself.)

# --- build stage: make a wheel, so the runtime stage carries no build tools ---------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md CHANGELOG.md ./
COPY dockerforge_tui ./dockerforge_tui
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- runtime stage ----------------------------------------------------------------------
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 dockerforge
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER dockerforge
ENV TERM=xterm-256color \
    PYTHONUNBUFFERED=1
# The socket's group must allow uid 10001 (add --group-add $(stat -c %g /var/run/docker.sock)).
ENTRYPOINT ["dockerforge"]
