// The composition root has no library surface; see main.ts.
export {};
