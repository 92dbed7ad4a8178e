import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, UsageError, quote } from '../errors.js';
import { action, intOption, withExamples } from './run.js';

/**
 * Where `npm ci` (scripts/build-web.mjs) puts the built page: <package>/web-dist.
 *
 * @example
 * existsSync(path.join(webDistDir(), 'index.html')); // true after a build
 */
export function webDistDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web-dist');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Port; 0 picks a free one. Default 5178. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Folder of static files. Default {@link webDistDir}. */
  root?: string;
}

/** A running server: its URL and how to stop it. */
export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves the built interactive page (static files, GET/HEAD only, no directory listing, no path
 * outside the root) and resolves once it listens.
 *
 * @example
 * const s = await startServer({ port: 0 });
 * console.log(s.url); // http://127.0.0.1:40123/
 * await s.close();
 */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const root = path.resolve(opts.root ?? webDistDir());
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    throw new DataError(`the web page is not built: ${index} is missing (run "npm run build", which builds web/ into web-dist/)`);
  }
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = path.join(root, path.normalize(rel));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`invalid --port: ${opts.port} is already in use on ${host} (try another, or --port 0 for a free one)`));
      else if (e.code === 'EACCES') reject(new UsageError(`invalid --port: no permission to listen on ${host}:${opts.port}`));
      else reject(e);
    });
    server.listen(opts.port ?? 5178, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

export function registerServe(program: Command): Command {
  const cmd = program
    .command('serve')
    .description('Serve the interactive page (Gaussian fits, token view, every measure) on this machine and print its URL. Ctrl-C stops it.')
    .option('--port <n>', 'port to listen on (0: any free port)', '5178')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .action(
      action('serve', async (o: Record<string, string | undefined>) => {
        const port = intOption(String(o.port), '--port', 0);
        if (port > 65535) throw new UsageError(`invalid --port: expected an integer in 0..65535, got ${quote(o.port)}`);
        const s = await startServer({ port, host: String(o.host) });
        process.stdout.write(`klscope serve: open ${s.url} in a browser (Ctrl-C stops the server)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            void s.close().then(resolve);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
  return withExamples(cmd, ['klscope serve', 'klscope serve --port 8080', 'npx klscope serve --port 0']);
}
