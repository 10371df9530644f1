/** A mutex per key: acquire() resolves with a release function once the key is free. */
export function createKeyedLock() {
  const tails = new Map<string, Promise<void>>();
  return {
    acquire: async (key: string): Promise<() => void> => {
      const before = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = before.then(() => mine);
      tails.set(key, tail);
      await before;
      return () => {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      };
    },
  };
}

/** For a commit holding a lock: the first of its endings (confirm or rollback) runs, then the lock is released whatever it did; later ones do nothing. */
export function settleOnce(release: () => void): (work: () => Promise<void>) => Promise<void> {
  let settled = false;
  return async (work) => {
    if (settled) return;
    settled = true;
    try {
      await work();
    } finally {
      release();
    }
  };
}
