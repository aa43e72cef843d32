import { DeadlineExceeded, withDeadline } from './deadline';

describe('withDeadline', () => {
  it("answers the work's value when it settles in time", async () => {
    await expect(withDeadline(Promise.resolve(42), 1000, 'late')).resolves.toBe(42);
  });

  it("answers the work's own failure when it fails in time", async () => {
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000, 'late')).rejects.toThrow('refused');
  });

  it('gives up with the message once the deadline passes on work that never settles', async () => {
    const started = Date.now();
    const late = withDeadline(new Promise(() => undefined), 50, 'no answer within 50 ms');
    await expect(late).rejects.toBeInstanceOf(DeadlineExceeded);
    await expect(late).rejects.toThrow('no answer within 50 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('leaves no timer behind once the work settled', async () => {
    const cleared = jest.spyOn(global, 'clearTimeout');
    await withDeadline(Promise.resolve('done'), 60_000, 'late');
    expect(cleared).toHaveBeenCalled();
    cleared.mockRestore();
  });
});
