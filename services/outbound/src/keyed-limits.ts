/**
 * At most `limit` holders per key at once; the others wait in order. Used for
 * the connections to one partner (an endpoint's maxConnections) and, with a
 * limit of 1, to deliver the versions of one file in the order they came.
 */
export function createKeyedLimits(): { acquire(key: string, limit: number): Promise<() => void> } {
  const states = new Map<string, { active: number; waiting: Array<() => void> }>();
  return {
    async acquire(key, limit) {
      let state = states.get(key);
      if (!state) {
        state = { active: 0, waiting: [] };
        states.set(key, state);
      }
      const held = state;
      // A waiter is handed the slot of the holder that releases it: `active` stays as it is.
      if (held.active >= limit) await new Promise<void>((resolve) => held.waiting.push(resolve));
      else held.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = held.waiting.shift();
        if (next) next();
        else if (--held.active === 0) states.delete(key);
      };
    },
  };
}
