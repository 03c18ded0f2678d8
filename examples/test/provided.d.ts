declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUri: string;
  }
}
export {};
