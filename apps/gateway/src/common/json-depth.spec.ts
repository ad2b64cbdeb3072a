import { nestsDeeperThan } from './json-depth';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('nestsDeeperThan', () => {
  it('measures objects and arrays alike', () => {
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
  });

  it('walks 200,000 levels without overflowing the stack (tools nested 200,000 deep)', () => {
    expect(nestsDeeperThan(nested(200_000), 64)).toBe(true);
  });

  it('treats scalars and empty containers as shallow', () => {
    expect(nestsDeeperThan('x', 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
  });
});
