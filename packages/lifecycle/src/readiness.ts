/** Whether a process should get traffic; served on /readyz. */
export interface Readiness {
  set(ready: boolean): void;
  isReady(): boolean;
}

export function createReadiness(initial = false): Readiness {
  let ready = initial;
  return {
    set: (value) => {
      ready = value;
    },
    isReady: () => ready,
  };
}
