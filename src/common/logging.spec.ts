import { Writable } from 'node:stream';
import { loadConfig } from '../config/config';
import { requestContext } from './http-hardening';
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

  it('names the request a line was written for', () => {
    const { sut, lines } = capture();
    requestContext.run({ requestId: 'req-42' }, () => sut.warn('could not do a thing', 'Somewhere'));
    sut.log('outside any request');
    expect(lines[0]).toMatchObject({ reqId: 'req-42', context: 'Somewhere', msg: 'could not do a thing' });
    expect(lines[1].reqId).toBeUndefined();
  });

  it('redacts credentials in logged objects', () => {
    const { sut, lines } = capture();
    sut.log({ msg: 'x', password: 'hunter2', nested: { client_secret: 's3cret', token: 't' } });
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|s3cret|"t"/);
  });
});
