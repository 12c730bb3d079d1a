/**
 * A per-string memo of a pure function that forgets everything once full: the inputs it serves
 * (a server's routes, a key set's token headers) are few, and a caller sending endless new ones
 * only causes misses, never growth.
 */
export class BoundedMemo<V> {
  private readonly known = new Map<string, V>();

  constructor(
    private readonly compute: (key: string) => V,
    private readonly size = 1000,
  ) {}

  get(key: string): V {
    let value = this.known.get(key);
    if (value === undefined) {
      value = this.compute(key);
      if (this.known.size >= this.size) this.known.clear();
      this.known.set(key, value);
    }
    return value;
  }
}
