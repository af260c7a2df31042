import { describe, expect, it } from 'vitest';
import { ContainerModule } from 'inversify';
import { definePlugin, type PluginDescriptor } from './plugin.js';
import { ProfileError, profileProblems, validateProfile } from './profile.js';

const empty = new ContainerModule(() => {});
function plugin(id: string, provides: string[], requires: string[] = [], apiVersion = '1.0'): PluginDescriptor {
  return definePlugin({ id, kind: 'device', apiVersion, provides, requires, module: empty });
}

describe('profile validation', () => {
  it('accepts a complete plugin set', () => {
    const profile = { id: 'ok', description: '', plugins: [plugin('cpu', ['cpu']), plugin('bus', ['bus']), plugin('uart', ['serial'], ['bus'])] };
    expect(profileProblems(profile)).toEqual([]);
    expect(() => validateProfile(profile)).not.toThrow();
  });

  it('rejects two CPU plugins and a missing bus in one readable message', () => {
    const profile = {
      id: 'broken',
      description: '',
      plugins: [plugin('@popek/cpu-a', ['cpu']), plugin('@popek/cpu-b', ['cpu']), plugin('@popek/dev-serial', ['serial'], ['bus'])],
    };
    let error: unknown;
    try {
      validateProfile(profile);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProfileError);
    const message = (error as ProfileError).message;
    expect(message).toBe(
      [
        "Profile 'broken' cannot build a machine:",
        "  - 2 plugins provide 'cpu' ('@popek/cpu-a', '@popek/cpu-b'); a machine has exactly one.",
        "  - the machine requires 'bus', which no plugin in the profile provides.",
        "  - plugin '@popek/dev-serial' requires 'bus', which no plugin in the profile provides.",
      ].join('\n'),
    );
    expect((error as ProfileError).code).toBe('profile-invalid');
  });

  it('rejects plugins written for another API major or a newer minor', () => {
    const profile = { id: 'p', description: '', plugins: [plugin('cpu', ['cpu'], [], '2.0'), plugin('bus', ['bus'], [], '1.7'), plugin('x', [], [], 'one')] };
    const problems = profileProblems(profile, '1.3');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("plugin 'cpu' was written for plugin API 2.0");
    expect(problems[2]).toContain('is not of the form major.minor');
    expect(profileProblems({ id: 'p', description: '', plugins: [plugin('cpu', ['cpu'], [], '1.2'), plugin('bus', ['bus'])] }, '1.3')).toEqual([]);
  });

  it('rejects an entry that is not a plugin descriptor, such as a missing import', () => {
    const profile = { id: 'p', description: '', plugins: [plugin('cpu', ['cpu']), undefined as unknown as PluginDescriptor] };
    expect(profileProblems(profile)).toEqual([
      "entry 2 of the plugin list is not a plugin descriptor (import it from the package's './plugin' entry point).",
    ]);
  });

  it('rejects duplicate plugin ids and honours plugin-declared exclusive capabilities', () => {
    const gpu = definePlugin({ id: 'vga1', kind: 'device', apiVersion: '1.0', provides: ['display'], requires: [], exclusive: ['display'], module: empty });
    const profile = { id: 'p', description: '', requires: [], plugins: [gpu, { ...gpu, id: 'vga2' }, plugin('cpu', ['cpu']), plugin('cpu', ['x'])] };
    const problems = profileProblems(profile);
    expect(problems).toContain("plugin 'cpu' is listed twice.");
    expect(problems).toContain("2 plugins provide 'display' ('vga1', 'vga2'); a machine has exactly one.");
  });
});
