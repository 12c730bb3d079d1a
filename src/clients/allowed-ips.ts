import { BlockList, isIP } from 'node:net';

/** At most this many entries per credential: a list is matched on every request. */
export const MAX_ALLOWED_IPS = 100;

/**
 * The CIDR of one `allowedIps` entry, or null when it is none: an IPv4 or IPv6 address, with
 * `/prefix` (0–32, 0–128) or without (the address alone: /32, /128). Parsing is node:net's;
 * only address and prefix are split here. A zone (`fe80::1%eth0`) names an interface of one
 * host, not a network, so it is refused. Host bits below the prefix are ignored, as Postgres's
 * inet does (`10.0.0.5/8` is 10.0.0.0/8).
 */
export function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) return null;
  const bits = version === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: bits, family: version === 4 ? 'ipv4' : 'ipv6' };
  const digits = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(digits) || Number(digits) > bits) return null;
  return { address, prefix: Number(digits), family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Where a credential may be used from. node:net's BlockList does the matching, and it counts
 * an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, as a dual-stack listener reports IPv4 peers)
 * as the IPv4 address, in either direction.
 */
export class AllowedIps {
  private constructor(private readonly list: BlockList) {}

  /**
   * The allowlist of a stored column; null (absent: any address) for null. Entries that do
   * not parse (the admin API refuses them; a hand-written row might hold one) allow nothing,
   * so a bad row narrows access rather than widening it.
   */
  static of(entries: readonly string[] | null): AllowedIps | null {
    if (entries === null) return null;
    const list = new BlockList();
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    return new AllowedIps(list);
  }

  /** Whether `ip` (as Fastify reports a caller) is inside the list; an unknown or malformed address is not. */
  allows(ip: string | null | undefined): boolean {
    if (!ip) return false;
    const version = isIP(ip);
    if (version === 0) return false;
    return this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}

// Clients are cached (ClientsService) and API key rows are read per request, so the parsed
// list is kept per stored array: a cached client's list is parsed once, not per request.
const parsed = new WeakMap<readonly string[], AllowedIps>();

/** Whether a credential with this stored `allowedIps` may be used from `ip`; null allows any address. */
export function ipAllowed(entries: readonly string[] | null, ip: string | null | undefined): boolean {
  if (entries === null) return true;
  let list = parsed.get(entries);
  if (!list) {
    list = AllowedIps.of(entries)!;
    parsed.set(entries, list);
  }
  return list.allows(ip);
}
