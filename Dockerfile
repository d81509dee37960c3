# One image for the coordinator and the satellite; the command picks the component.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY common/package.json common/
COPY testkit/package.json testkit/
COPY satellite/package.json satellite/
COPY coordinator/package.json coordinator/
COPY cli/package.json cli/
COPY dashboard/package.json dashboard/
RUN npm ci --no-audit --no-fund
COPY . .
# The products only: bench/ (the benchmarks, a workspace of its own) is not copied (.dockerignore), so
# npm ci skips it and the root tsconfig, which references it, is not the one built.
RUN npx tsc -b proto common testkit satellite coordinator cli && npm run build --workspace dashboard && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
# The coordinator writes its generated admin API token to .sentra/admin-token when SENTRA_ADMIN_TOKEN
# is not set (docs/security.md); docker-compose's development PKI volume mounts at .sentra/pki (owned
# by node, keys 0600); .dockerignore keeps a developer's own .sentra/ out of the image.
RUN install -d -m 0700 -o node -g node /app/.sentra /app/.sentra/pki
USER node
CMD ["node", "coordinator/dist/main.js"]
