// `oneprompt serve`: the browser prompting tool on a local web server (docs/browser.md).
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { notRegularReason } from '../../util/safe-read.js';
import { resolve } from 'node:path';
import { LOOPBACK } from '../serve/static-server.js';
import { modelFiles } from '../inference/model-files.js';
import { DEFAULT_MODEL_FILE } from '../../util/package-root.js';

/** Loopback addresses and names: only this machine can connect (all of 127.0.0.0/8, ::1, localhost). */
export const isLoopback = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
};

/** The trained model that ships in the package (with its encoder/decoder pair), wherever the package is installed. */
export const TRAINED_MODEL = DEFAULT_MODEL_FILE;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the browser prompting tool: draw prompts on a template, see query masks; the model runs in the page')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'interface to bind (anything but loopback exposes the tool to your network)', LOOPBACK)
    .option('--model <file>', 'ONNX model the page loads (default: the trained model shipped with oneprompt, compiled/oneprompt-default.onnx in its package)')
    .option('--samples <dir>', 'folder of sample image sets for "Load sample" (default: the MRI samples shipped with oneprompt)')
    .option('--allow-host <name...>', "also answer requests for these host names (a reverse proxy's); others get 403, which stops DNS-rebinding pages")
    .action(async (o: { port: string; host: string; model?: string; samples?: string; allowHost?: string[] }) => {
      if (o.host.trim() === '')
        throw new Error('serve: --host is empty; give an address to bind: 127.0.0.1 (this machine only, the default) or 0.0.0.0 (every interface)');
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: --port must be an integer in 0..65535, got '${o.port}'`);
      const model = await modelFile(o.model);
      if (o.samples && !existsSync(o.samples)) throw new Error(`serve: no such samples folder '${o.samples}'`);
      // Its encoder/decoder pair, when one compiled with it lies beside it: the page then encodes each slice once.
      const found = modelFiles(model);
      if (found.note) console.error(`warning: ${found.note}`);
      const pair = found.pair && { encoder: found.pair.encoder.file, decoder: found.pair.decoder.file };
      const { startToolServer } = await import('../serve/tool-server.js');
      const srv = await startToolServer({
        model,
        pair,
        samples: o.samples && resolve(o.samples),
        host: o.host,
        port,
        log: (l) => console.error(l),
        allowHosts: o.allowHost,
      });
      console.log(`serving the One-Prompt browser tool at ${srv.url}/ (model ${model}${pair ? ', as its encoder/decoder pair' : ''}; press Ctrl+C to stop)`);
      if (!isLoopback(o.host)) console.log(`note: bound to ${o.host}, so other machines on your network can open it`);
      await new Promise<void>((done) => {
        const stop = (): void => void srv.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

async function modelFile(given: string | undefined): Promise<string> {
  if (given) {
    if (!existsSync(given)) throw new Error(`serve: no such model file '${given}'`);
    const why = notRegularReason(statSync(given));
    if (why) throw new Error(`serve: --model ${given} ${why}`);
    return resolve(given);
  }
  if (!existsSync(TRAINED_MODEL)) throw new Error(`serve: the shipped model ${TRAINED_MODEL} is missing (reinstall oneprompt, or give --model)`);
  return TRAINED_MODEL;
}
