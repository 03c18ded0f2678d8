import { BlockList, isIP } from 'node:net';

/** Named ranges, as Express's `trust proxy` accepts them. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * The address in one canonical spelling: IPv6 compressed and lower case, an IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`, how a dual-stack socket reports IPv4 peers) as plain IPv4.
 * Undefined when it is not an IP address.
 */
export function canonicalAddress(raw: string): string | undefined {
  const text = raw.trim();
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  let address: string;
  try {
    address = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text.toLowerCase(); // with a zone index (fe80::1%eth0), which URL does not take
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped === null) return address;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Why one TRUSTED_PROXIES entry is not usable, or undefined when it is. */
function entryIssue(entry: string): string | undefined {
  if (Object.hasOwn(NAMED_RANGES, entry)) return undefined;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0)
    return 'is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal';
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `has a prefix length outside 0-${max}`;
  return undefined;
}

function entriesOf(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * What is wrong with a TRUSTED_PROXIES value, one line per bad entry (by position, so no value is
 * echoed into logs); empty when every entry is an address, a CIDR range or a named range.
 */
export function trustedProxiesIssues(list: string | undefined): string[] {
  return entriesOf(list).flatMap((entry, i) => {
    const issue = entryIssue(entry);
    return issue === undefined ? [] : [`entry ${i + 1} ${issue}`];
  });
}

/**
 * The proxies whose `X-Forwarded-For` is believed: addresses and CIDR ranges, IPv4 and IPv6
 * (an IPv4 range also matches the IPv4-mapped IPv6 form of its addresses, and the reverse).
 */
export class TrustedProxies {
  private readonly ranges = new BlockList();
  readonly size: number;

  /** Parses a comma-separated list (TRUSTED_PROXIES); throws naming the entries it cannot use. */
  constructor(list?: string) {
    const issues = trustedProxiesIssues(list);
    if (issues.length > 0) throw new Error(`TRUSTED_PROXIES: ${issues.join('; ')}`);
    const entries = entriesOf(list).flatMap((entry) => NAMED_RANGES[entry] ?? [entry]);
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      this.ranges.addSubnet(address, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(address);
    return family !== 0 && this.ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client's address, as Express's `trust proxy` finds it: the peer's address unless it is a
 * trusted proxy; then `X-Forwarded-For` read from the right, skipping trusted proxies, up to the
 * first address that is not one. Entries further left were written by the client and are never
 * believed, so a client cannot choose its address by sending the header itself. Every hop trusted:
 * the leftmost. A malformed entry ends the walk at the proxy that passed it on.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  if (remoteAddress === undefined) return 'unknown';
  let address = canonicalAddress(remoteAddress) ?? remoteAddress;
  if (forwardedFor === undefined || !trusted.has(address)) return address;
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!.trim();
    if (hop === '') continue;
    const next = canonicalAddress(hop);
    if (next === undefined) return address;
    address = next;
    if (!trusted.has(address)) return address;
  }
  return address;
}

/** The 16-bit groups of an IPv6 address (zone index dropped, embedded IPv4 converted); undefined when not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...Array.from({ length: fill }, () => 0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * The key per-address limits count a client under: an IPv4 address as it is, an IPv6 address by its
 * first `ipv6PrefixBits` bits (`2001:db8:1:2::/64`), since one subscriber usually holds a whole /64 and
 * could otherwise take 2^64 addresses' worth of slots and buckets. `address` as clientAddress returns it.
 */
export function addressKey(address: string, ipv6PrefixBits: number): string {
  if (!address.includes(':') || ipv6PrefixBits >= 128) return address;
  const groups = ipv6Groups(address);
  if (groups === undefined) return address;
  const masked = groups.map((group, i) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixBits - i * 16));
    return bits === 0 ? 0 : group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${canonicalAddress(masked.map((g) => g.toString(16)).join(':')) ?? address}/${ipv6PrefixBits}`;
}
