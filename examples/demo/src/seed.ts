import { readFileSync } from 'node:fs'
import pg from 'pg'
import { ProgressBar } from './progress.js'

/** Row counts per table. */
export interface SeedSizes {
  categories: number
  customers: number
  products: number
  orders: number
  /** Two items per order. */
  orderItems: number
  reviews: number
}

/** ~200k rows: the full demo. */
export const FULL_SIZES: SeedSizes = {
  categories: 40,
  customers: 20_000,
  products: 20_000,
  orders: 40_000,
  orderItems: 80_000,
  reviews: 40_000,
}
/** ~20k rows: `--smoke` (CI). */
export const SMOKE_SIZES: SeedSizes = {
  categories: 20,
  customers: 2_000,
  products: 2_000,
  orders: 4_000,
  orderItems: 8_000,
  reviews: 4_000,
}

const CHUNK = 10_000

/**
 * INSERT ... SELECT over generate_series: the rows are generated inside the database, so seeding
 * 200k rows costs a few dozen statements instead of 200k round trips. Values derive from the row
 * number (deterministic, so every run seeds the same shop).
 */
function insertSql(table: keyof SeedSizes, from: number, to: number, sizes: SeedSizes): string {
  const g = `generate_series(${from}, ${to}) AS g`
  switch (table) {
    case 'categories':
      return `INSERT INTO "Category" ("name", "slug") SELECT 'Category ' || g, 'category-' || g FROM ${g}`
    case 'customers':
      return `INSERT INTO "Customer" ("email", "name", "country", "loyaltyPoints", "createdAt")
        SELECT 'customer' || g || '@example.com', 'Customer ' || g, (ARRAY['DE','FR','US','JP','BR','IN','GB'])[1 + g % 7],
               (g::bigint * 1000003) % 90000000000, now() - (g % 900) * interval '1 day' FROM ${g}`
    case 'products':
      return `INSERT INTO "Product" ("sku", "name", "description", "price", "stock", "attributes", "categoryId", "createdAt")
        SELECT 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, 'Description ' || md5(g::text) || ' ' || md5((g * 7)::text),
               ((g * 7919) % 50000) / 100.0 + 1, (g * 31) % 500,
               jsonb_build_object('color', (ARRAY['red','green','blue','black','white'])[1 + g % 5], 'weightGrams', 100 + g % 900, 'tags', jsonb_build_array('t' || g % 13, 't' || g % 7)),
               1 + g % ${sizes.categories}, now() - (g % 700) * interval '1 hour' FROM ${g}`
    case 'orders':
      return `INSERT INTO "Order" ("customerId", "status", "total", "createdAt")
        SELECT 1 + (g * 7919) % ${sizes.customers}, (ARRAY['PENDING','PAID','SHIPPED','CANCELLED']::"OrderStatus"[])[1 + g % 4],
               ((g * 37) % 90000) / 100.0 + 5, now() - (g % 365) * interval '1 day' FROM ${g}`
    case 'orderItems':
      return `INSERT INTO "OrderItem" ("orderId", "productId", "quantity", "unitPrice")
        SELECT 1 + (g - 1) / 2, 1 + (g::bigint * 104729) % ${sizes.products}, 1 + g % 4, ((g * 7919) % 50000) / 100.0 + 1 FROM ${g}`
    case 'reviews':
      return `INSERT INTO "Review" ("productId", "customerId", "rating", "body", "createdAt")
        SELECT 1 + (g::bigint * 2654435761) % ${sizes.products}, 1 + (g * 13) % ${sizes.customers}, 1 + (g * g) % 5,
               'Review ' || md5(g::text), now() - (g % 500) * interval '1 hour' FROM ${g}`
  }
}

/**
 * Creates the demo tables in `schema` and fills them, drawing a progress bar.
 * @returns rows inserted and seconds taken
 */
export async function seed(
  config: pg.ClientConfig,
  schema: string,
  sizes: SeedSizes,
): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client(config)
  await client.connect()
  try {
    await client.query(`SET search_path TO "${schema}"`)
    await client.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
    const tables = Object.keys(sizes) as (keyof SeedSizes)[]
    const total = tables.reduce((sum, t) => sum + sizes[t], 0)
    const progress = new ProgressBar('Seeding', total)
    for (const table of tables) {
      for (let from = 1; from <= sizes[table]; from += CHUNK) {
        const to = Math.min(sizes[table], from + CHUNK - 1)
        await client.query(insertSql(table, from, to, sizes))
        progress.tick(to - from + 1, table)
      }
    }
    await client.query('ANALYZE')
    return { rows: total, seconds: progress.finish() }
  } finally {
    await client.end()
  }
}
