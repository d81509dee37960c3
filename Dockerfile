# One image for the coordinator and the satellite; the command picks the component.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY common/package.json common/
COPY testkit/package.json testkit/
COPY satellite/package.json satellite/
COPY coordinator/package.json coordinator/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
CMD ["node", "coordinator/dist/main.js"]
