/** The tag of every entry cached under TypeORM cache id `id` (`find({ cache: { id } })`): `remove([id])` invalidates it. */
export function cacheIdTag(id: string): string {
  return `typeorm:id:${id}`
}

/** The tag of every entry one provider (one `salt`) wrote: its `clear()` invalidates it. */
export function cacheScopeTag(salt: string): string {
  return `typeorm:scope:${salt}`
}
