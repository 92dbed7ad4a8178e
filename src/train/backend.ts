import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Which TensorFlow.js backend runs the training, and why if it is not wasm. */
export interface BackendInfo {
  backend: string;
  /** Set when the wasm backend could not start and 'cpu' is used instead. */
  fallbackReason?: string;
}

let ready: Promise<BackendInfo> | undefined;

/**
 * Starts TensorFlow.js on the WebAssembly backend with the .wasm binaries of the installed
 * `@tensorflow/tfjs-backend-wasm` package (read from node_modules, never downloaded). Falls back
 * to the pure-JS 'cpu' backend only if wasm cannot start, and says why. Idempotent.
 *
 * @example
 * const { backend } = await initTf(); // 'wasm'
 */
export function initTf(): Promise<BackendInfo> {
  ready ??= (async () => {
    let reason: string;
    try {
      const req = createRequire(import.meta.url);
      const dir = path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      setWasmPaths(dir);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        if (tf.getBackend() === 'wasm') return { backend: 'wasm' };
        reason = `tf.getBackend() is ${tf.getBackend()} after setBackend('wasm')`;
      } else reason = 'setBackend("wasm") returned false';
    } catch (e) {
      reason = `wasm backend failed to start: ${(e as Error).message}`;
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { backend: tf.getBackend(), fallbackReason: reason };
  })();
  return ready;
}

export { tf };
