import { Writable } from 'node:stream';
import { loadConfig } from '../config/config';
import { createLoggers, PinoNestLogger } from './logging';

describe(PinoNestLogger.name, () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { app } = createLoggers(loadConfig({ LOG_LEVEL: 'info' }), destination);
    return { sut: new PinoNestLogger(app), lines };
  }

  it('keeps the fields of a logged object, such as the request it was written for', () => {
    const { sut, lines } = capture();
    sut.warn({ reqId: 'req-42', msg: 'could not do a thing' }, 'Somewhere');
    sut.error({ reqId: 'req-43', msg: 'failed' }, 'Error: failed\n    at here', 'Errors');
    sut.log('outside any request');
    expect(lines[0]).toMatchObject({ reqId: 'req-42', context: 'Somewhere', msg: 'could not do a thing' });
    expect(lines[1]).toMatchObject({ reqId: 'req-43', context: 'Errors', msg: 'failed', stack: expect.stringContaining('at here') });
    expect(lines[2].reqId).toBeUndefined();
  });

  it('redacts credentials in logged objects', () => {
    const { sut, lines } = capture();
    sut.log({ msg: 'x', password: 'hunter2', nested: { client_secret: 's3cret', token: 't' } });
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|s3cret|"t"/);
  });
});
