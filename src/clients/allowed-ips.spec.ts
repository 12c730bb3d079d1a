import { AllowedIps, ipAllowed, parseCidr } from './allowed-ips';

describe('allowedIps', () => {
  it('reads IPv4 and IPv6 CIDRs, a bare address as a single host', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('192.0.2.7')).toEqual({ address: '192.0.2.7', prefix: 32, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    expect(parseCidr('0.0.0.0/0')).toEqual({ address: '0.0.0.0', prefix: 0, family: 'ipv4' });
  });

  it.each(['', '10.0.0.0/33', '2001:db8::/129', '10.0.0/8', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/ 8', ' 10.0.0.1', 'fe80::1%eth0/64', 'localhost', '010.0.0.1', '10.0.0.0/08a'])(
    'refuses %p',
    (entry) => expect(parseCidr(entry)).toBeNull(),
  );

  it('matches by prefix, counting IPv4-mapped IPv6 addresses as IPv4', () => {
    const sut = AllowedIps.of(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'])!;
    for (const ip of ['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::5', '192.0.2.7', '::ffff:192.0.2.7']) expect([ip, sut.allows(ip)]).toEqual([ip, true]);
    for (const ip of ['11.0.0.1', '2001:db9::1', '192.0.2.8', '::ffff:11.0.0.1', '', 'not-an-ip', '10.1.2.3, 10.1.2.4']) expect([ip, sut.allows(ip)]).toEqual([ip, false]);
    expect(sut.allows(null)).toBe(false);
    expect(AllowedIps.of(['::ffff:10.0.0.0/104'])!.allows('10.9.9.9')).toBe(true);
  });

  it('allows any address without a list, and nothing for an entry that does not parse', () => {
    expect(ipAllowed(null, '203.0.113.1')).toBe(true);
    expect(ipAllowed(null, null)).toBe(true);
    expect(ipAllowed(['garbage'], '203.0.113.1')).toBe(false);
    const list = ['203.0.113.0/24'];
    expect([ipAllowed(list, '203.0.113.1'), ipAllowed(list, '203.0.114.1')]).toEqual([true, false]);
  });
});
