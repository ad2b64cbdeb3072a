import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

import { LimitsDto } from './limits.dto';

async function budgetProblems(max_budget: unknown): Promise<string[]> {
  const errors = await validate(plainToInstance(LimitsDto, { max_budget }));
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('max_budget', () => {
  it.each([50, 0.5, 0.123456789, 0])('%p USD is a storable budget', async (usd) => {
    expect(await budgetProblems(usd)).toEqual([]);
  });

  it.each([1e-10, 0.0000000015, 1.0000000001])(
    '%p USD (a fraction of a nano-dollar, which no BIGINT column holds) is refused with a clear message',
    async (usd) => {
      expect(await budgetProblems(usd)).toEqual(['max_budget must be in USD with at most 9 decimal places']);
    },
  );
});
