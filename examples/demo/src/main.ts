// The main job lands with the Prisma issue; until then the command exists and succeeds.
console.log('@perf demo: coming soon (the Prisma adapter is not built yet).')
