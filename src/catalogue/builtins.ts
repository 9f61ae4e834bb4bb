// The contract's built-in registries. Seeded by a migration; more can be registered at run time.
export type ActorRole = 'party' | 'mediator';

export const BUILTIN_ACTORS: { slug: string; name: string; role: ActorRole }[] = [
  { slug: 'israel', name: 'Israel', role: 'party' },
  { slug: 'hamas', name: 'Hamas', role: 'party' },
  { slug: 'egypt', name: 'Egypt', role: 'mediator' },
  { slug: 'qatar', name: 'Qatar', role: 'mediator' },
  { slug: 'us', name: 'United States', role: 'mediator' },
];

export const BUILTIN_ISSUES: { slug: string; name: string; description: string }[] = [
  { slug: 'temporary-ceasefire', name: 'Temporary ceasefire', description: 'A pause or truce of limited length' },
  { slug: 'permanent-ceasefire', name: 'Permanent ceasefire', description: 'An end of the war' },
  { slug: 'hostage-exchange', name: 'Hostage exchange', description: 'Release of hostages/detainees and prisoners' },
  { slug: 'humanitarian-aid', name: 'Humanitarian aid', description: 'Aid into Gaza' },
  { slug: 'military-operations', name: 'Military operations', description: 'The conduct and scale of the war' },
  { slug: 'negotiations', name: 'Negotiations', description: 'Taking part in talks at all' },
];
