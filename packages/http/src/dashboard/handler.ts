import type { IncomingMessage, ServerResponse } from 'node:http'
import { resolveDashboardOptions, type DashboardOptions } from './options.js'
import { prometheusText } from './metrics.js'
import { renderPage } from './page.js'
import { SeriesRecorder } from './series.js'
import { Views } from './views.js'

/** A `node:http` request handler, also Connect/Express middleware (`next` is called for paths it does not serve). */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void>
  /** Stops the series timer and ends live-update streams. Idempotent. */
  close(): void
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip']

/**
 * The live dashboard: a self-contained page (inline script, styles and SVG charts; no network
 * access) and its JSON endpoints `/snapshot`, `/health` (503 below `healthThreshold`),
 * `/fingerprints`, `/n-plus-one`, `/slow`, `/cache`, `/pools`, `/locks`, `/breakers`, `/series`,
 * `/pg`, `/metrics` (Prometheus text) and `/stream` (server-sent events). Nothing runs until you
 * create and mount it; without `authorize`, only loopback requests that came through no proxy are
 * served. SQL is redacted and cache values never read: keys and numbers only.
 *
 * @throws HttpOptionError naming the option
 * @example
 * app.use('/perf', dashboard({ monitors: monitor, caches: cache, authorize: (req) => isAdmin(req) }))
 */
export function dashboard(options: DashboardOptions = {}): DashboardHandler {
  const o = resolveDashboardOptions(options)
  const series = new SeriesRecorder(o.intervalMs, o.historySize)
  const views = new Views(o, series)
  const streams = new Set<ServerResponse>()
  const page = renderPage(o.title)

  const routes: Record<string, () => unknown> = {
    '/snapshot': () => views.snapshot(),
    '/fingerprints': () => views.fingerprints(),
    '/n-plus-one': () => views.nPlusOne(),
    '/slow': () => views.slow(),
    '/cache': () => views.caches(),
    '/pools': () => views.pools(),
    '/locks': () => views.locks(),
    '/breakers': () => views.breakers(),
    '/series': () => series.points(),
  }

  const handler = async (
    req: IncomingMessage,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> => {
    const path = routePath(req.url ?? '/', o.basePath)
    if (path === undefined) return pass(res, next)
    try {
      if (!(await allowed(req))) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n')
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n')
      if (path === '' || path === '/' || path === '/index.html') {
        const original = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/'
        const pathname = original.split('?')[0] ?? '/'
        // Relative links need the trailing slash: /perf → /perf/.
        if (!pathname.endsWith('/') && path === '') return redirect(res, `${pathname}/`)
        if (!pathname.endsWith('/') && path === '/' && pathname !== '/') return redirect(res, `${pathname}/`)
        return send(res, 200, 'text/html; charset=utf-8', page)
      }
      if (path === '/health') {
        const health = views.health()
        return json(res, health.ok ? 200 : 503, health)
      }
      if (path === '/metrics') {
        const text = prometheusText({
          monitors: Object.fromEntries(o.monitors.map((m) => [m.name, m.value])),
          caches: Object.fromEntries(o.caches.map((c) => [c.name, c.value])),
          breakers: Object.fromEntries(o.breakers.map((b) => [b.name, b.value])),
        })
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text)
      }
      if (path === '/pg') return json(res, 200, await views.pg())
      if (path === '/stream') return stream(req, res)
      const route = routes[path]
      if (route === undefined) return pass(res, next)
      return json(res, 200, route())
    } catch (error) {
      if (next !== undefined) return next(error)
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'dashboard error\n')
    }
  }

  async function allowed(req: IncomingMessage): Promise<boolean> {
    if (o.authorize !== undefined) return (await o.authorize(req)) === true
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return false
    // Behind a reverse proxy on the same host every request is "loopback": refuse proxied ones.
    return PROXY_HEADERS.every((h) => req.headers[h] === undefined)
  }

  function stream(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= o.maxStreams) return send(res, 503, 'text/plain; charset=utf-8', 'too many streams\n')
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    })
    streams.add(res)
    const push = (): void => {
      res.write(`event: snapshot\ndata: ${JSON.stringify(views.snapshot())}\n\n`)
    }
    push()
    const stop = series.onPoint(push)
    const end = (): void => {
      stop()
      streams.delete(res)
    }
    req.on('close', end)
    res.on('close', end)
  }

  return Object.assign(handler, {
    close(): void {
      series.close()
      for (const res of streams) res.end()
      streams.clear()
    },
  })
}

/** The path below `basePath`, or undefined when the request is not for the dashboard. */
function routePath(url: string, basePath: string): string | undefined {
  const pathname = url.split('?')[0] ?? '/'
  if (basePath === '') return pathname
  if (pathname === basePath) return ''
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : undefined
}

function pass(res: ServerResponse, next: ((error?: unknown) => void) | undefined): void {
  if (next !== undefined) next()
  else send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { location })
  res.end()
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body))
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The page's script and styles are inline; nothing may be loaded from elsewhere.
    'content-security-policy':
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
  })
  res.end(body)
}
