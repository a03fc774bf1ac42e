/** The parts of TypeORM's EntityMetadata the shapes read (same in 0.3 and 1.x). */
export interface ShapeMetadata {
  name: string
  target: unknown
  relations: readonly { propertyName: string; isLazy: boolean; inverseEntityMetadata: ShapeMetadata }[]
  embeddeds: readonly ShapeEmbedded[]
  lazyRelations?: readonly unknown[]
  childEntityMetadatas?: readonly unknown[]
  parentEntityMetadata?: unknown
}

interface ShapeEmbedded {
  propertyName: string
  type: unknown
  relations: readonly { propertyName: string; inverseEntityMetadata: ShapeMetadata }[]
  embeddeds: readonly ShapeEmbedded[]
}

type Plain = Record<string, unknown>

/**
 * How to turn one entity (or embedded) class's instances into plain data and back: relations and
 * embeddeds are walked by metadata, every other property is copied as is (Dates, strings of
 * numeric/bigint columns, json values, Buffers: the cache's codec and isolation hold those).
 */
export class EntityShape {
  readonly #proto: object | null
  readonly #relations = new Map<string, () => EntityShape>()
  readonly #embeddeds = new Map<string, EntityShape>()

  private constructor(proto: object | null) {
    this.#proto = proto
  }

  /** The shape of `metadata`'s entities; shapes are shared through `shapes` (relations can be cyclic). */
  static of(metadata: ShapeMetadata, shapes: Map<ShapeMetadata, EntityShape>): EntityShape {
    const known = shapes.get(metadata)
    if (known !== undefined) return known
    const shape = new EntityShape(protoOf(metadata.target))
    shapes.set(metadata, shape)
    shape.#add(metadata.relations, metadata.embeddeds, shapes)
    return shape
  }

  /** Whether instances of `metadata` can be rebuilt from plain data (no lazy relations, no inheritance). */
  static supports(metadata: ShapeMetadata): boolean {
    return (
      (metadata.lazyRelations?.length ?? 0) === 0 &&
      (metadata.childEntityMetadatas?.length ?? 0) === 0 &&
      metadata.parentEntityMetadata == null &&
      metadata.relations.every((r) => !r.isLazy)
    )
  }

  #add(
    relations: ShapeEmbedded['relations'],
    embeddeds: readonly ShapeEmbedded[],
    shapes: Map<ShapeMetadata, EntityShape>,
  ): void {
    for (const r of relations) {
      let cached: EntityShape | undefined
      this.#relations.set(r.propertyName, () => (cached ??= EntityShape.of(r.inverseEntityMetadata, shapes)))
    }
    for (const e of embeddeds) {
      const inner = new EntityShape(protoOf(e.type))
      inner.#add(e.relations, e.embeddeds, shapes)
      this.#embeddeds.set(e.propertyName, inner)
    }
  }

  /** Plain data of `entity` (null and undefined pass through). */
  toPlain(entity: unknown): unknown {
    if (entity === null || typeof entity !== 'object') return entity
    const out: Plain = {}
    for (const key of Object.keys(entity)) out[key] = this.#down(key, (entity as Plain)[key])
    return out
  }

  /** An instance rebuilt from plain data made by {@link toPlain}. */
  fromPlain(plain: unknown): unknown {
    if (plain === null || typeof plain !== 'object') return plain
    const out = (this.#proto === null ? {} : Object.create(this.#proto)) as Plain
    for (const key of Object.keys(plain)) out[key] = this.#up(key, (plain as Plain)[key])
    return out
  }

  #down(key: string, value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value
    const relation = this.#relations.get(key)
    if (relation !== undefined) {
      const shape = relation()
      return Array.isArray(value) ? value.map((v) => shape.toPlain(v)) : shape.toPlain(value)
    }
    const embedded = this.#embeddeds.get(key)
    return embedded === undefined ? value : embedded.toPlain(value)
  }

  #up(key: string, value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value
    const relation = this.#relations.get(key)
    if (relation !== undefined) {
      const shape = relation()
      return Array.isArray(value) ? value.map((v) => shape.fromPlain(v)) : shape.fromPlain(value)
    }
    const embedded = this.#embeddeds.get(key)
    return embedded === undefined ? value : embedded.fromPlain(value)
  }
}

/** Instances of a class target are made without running its constructor, as TypeORM's own hydration does. */
function protoOf(target: unknown): object | null {
  return typeof target === 'function' ? (target.prototype as object) : null
}
