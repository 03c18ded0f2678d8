// Loaded into every server under test (`node --expose-gc --import <this>`), ours and the baselines
// alike: SIGUSR2 runs a full garbage collection, so the idle-memory scenario reads RSS after GC.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') globalThis.gc();
});
