import { scriptEnv } from './stack.command';

describe('the environment `sparkflow stack` and `sparkflow bench` run their scripts with', () => {
  it('makes a relative SPARKFLOW_HOME absolute from the working directory, as the CLI reads it', () => {
    // The scripts run from the repository: relative, they would find another home than the CLI's.
    expect(scriptEnv({ SPARKFLOW_HOME: 'homes/a', KAFKA_PORT: '39092' }, '/work/x')).toEqual({
      SPARKFLOW_HOME: '/work/x/homes/a',
      KAFKA_PORT: '39092',
    });
    expect(scriptEnv({ SPARKFLOW_HOME: '/srv/sf' }, '/work/x')).toEqual({ SPARKFLOW_HOME: '/srv/sf' });
  });

  it('leaves an unset SPARKFLOW_HOME unset, for the stack to take its default', () => {
    expect(scriptEnv({ KAFKA_PORT: '39092' }, '/work/x')).toEqual({ KAFKA_PORT: '39092' });
  });
});
