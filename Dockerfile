# Keel's image: one image for every fleet process (docs/deploy.md). The process is chosen by the command:
#   workers/keel.ts api       the control API (and the control workflows it keeps running)
#   workers/keel.ts worker    a worker (run any number)
#   sim/main.ts --port 7700 --host 0.0.0.0 ...   the networked simulator
# Keel runs its TypeScript through tsx. The entry point is node itself, not `npm run` or scripts/run.mjs:
# run.mjs would `npm install` at start when it judges node_modules stale (network, a writable tree) and
# puts a second process between the signal and Keel; here node is PID 1 and receives SIGTERM, which every
# Keel process handles (a worker drains its activities for 10 s, then exits 0).

FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Run-time dependencies only, exactly as locked. No install scripts: their work is not needed at run time
# (esbuild, @swc/core, the Temporal core bridge and onnxruntime-node load prebuilt binaries from their
# platform packages; embedded PostgreSQL is never used: fleet processes require DATABASE_URL).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
# CA roots for TLS outside Node's own store (the Temporal core bridge to a TLS frontend, e.g. Temporal Cloud).
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
# The image's files belong to root and are only read; Keel's fleet processes write nothing but tsx's cache
# under /tmp (mount a tmpfs there when the root filesystem is read-only).
USER node
# API, SDK metrics (KEEL_SDK_METRICS_ADDRESS), simulator.
EXPOSE 3000 9464 7700
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["workers/keel.ts", "api"]
