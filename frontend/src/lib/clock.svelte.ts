/**
 * A clock for countdowns ("next try in 4 s"): `now` ticks every 500 ms
 * while `active()` holds and stands still otherwise, so that an idle
 * window does not wake for nothing. Call it while a component starts.
 */
export function countdownClock(active: () => boolean): { readonly now: number } {
  let now = $state(Date.now());
  $effect(() => {
    if (!active()) return;
    now = Date.now();
    const t = setInterval(() => (now = Date.now()), 500);
    return () => clearInterval(t);
  });
  return {
    get now() {
      return now;
    },
  };
}
