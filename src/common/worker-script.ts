import { extname, join } from 'node:path';

/**
 * How to start the worker `<name>` that sits beside `callerFile`: compiled, it is a .js file;
 * under ts-jest or ts-node it is the .ts source, which a worker thread can only load through
 * ts-node.
 */
export function workerScript(callerFile: string, name: string): { file: string; execArgv: string[] } {
  const ext = extname(callerFile);
  return {
    file: join(callerFile, '..', `${name}${ext}`),
    execArgv: ext === '.ts' ? ['--require', 'ts-node/register/transpile-only'] : [],
  };
}
