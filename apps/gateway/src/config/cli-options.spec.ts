import { parseCliOptions } from './cli-options';
import { ConfigError } from './config.errors';

describe('parseCliOptions: --num_workers', () => {
  it('runs one process (no cluster) unless asked for more', () => {
    expect(parseCliOptions([], {}).numWorkers).toBe(1);
  });

  it("takes LiteLLM's flag in both spellings of a value, and NUM_WORKERS, the flag winning", () => {
    expect(parseCliOptions(['--num_workers', '4'], {}).numWorkers).toBe(4);
    expect(parseCliOptions(['--num_workers=3'], {}).numWorkers).toBe(3);
    expect(parseCliOptions([], { NUM_WORKERS: '2' }).numWorkers).toBe(2);
    expect(parseCliOptions(['--num_workers', '3'], { NUM_WORKERS: '2' }).numWorkers).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'two', '', '65'])('a worker count of "%s" stops start-up with a message naming the option', (value) => {
    expect(() => parseCliOptions(['--num_workers', value], {})).toThrow(ConfigError);
    expect(() => parseCliOptions([], { NUM_WORKERS: value })).toThrow(/--num_workers: must be a whole number from 1 to 64/);
  });
});
