// A check the consumers share: `typed(x)` compiles only when x's type is not `any`, so an
// export that a broken declaration file turned into `any` fails the compile.
type IsAny<T> = 0 extends 1 & T ? true : false;

/** Returns `value`; a compile error when its type is `any`. */
export function typed<T>(value: T & (IsAny<T> extends true ? never : unknown)): T {
  return value;
}
