/** Small built-in word lists that make seeded rows look like a European identity provider's. */

export interface TenantSeed {
  slug: string;
  name: string;
  domain: string;
  /** Relative share of the bulk users. */
  weight: number;
}

export const DRILL_TENANT: TenantSeed = {
  slug: 'drill',
  name: 'Restore Drill',
  domain: 'drill.obexal.test',
  weight: 0,
};

export const TENANTS: readonly TenantSeed[] = [
  { slug: 'acme', name: 'Acme Corporation', domain: 'acme.example', weight: 5 },
  { slug: 'globex', name: 'Globex Corporation', domain: 'globex.example', weight: 3 },
  { slug: 'initech', name: 'Initech', domain: 'initech.example', weight: 2 },
  { slug: 'umbrella', name: 'Umbrella Health', domain: 'umbrella-health.example', weight: 2 },
  { slug: 'hooli', name: 'Hooli Europe', domain: 'hooli.example', weight: 1 },
  DRILL_TENANT,
];

export const GIVEN_NAMES = [
  'Anna',
  'Lukas',
  'Sofia',
  'Mateo',
  'Emma',
  'Noah',
  'Mia',
  'Leon',
  'Julia',
  'Luca',
  'Clara',
  'Elias',
  'Marie',
  'Jonas',
  'Laura',
  'Finn',
  'Elena',
  'Paul',
  'Chiara',
  'Hugo',
  'Ines',
  'Louis',
  'Nora',
  'Oskar',
  'Freya',
  'Sven',
  'Maja',
  'Jakub',
  'Zofia',
  'Piotr',
  'Agnieszka',
  'Tomasz',
  'Ana',
  'Diego',
  'Lucía',
  'Pablo',
  'Camille',
  'Théo',
  'Léa',
  'Mathis',
  'Giulia',
  'Marco',
  'Francesca',
  'Alessandro',
  'Sanne',
  'Daan',
  'Fleur',
  'Bram',
  'Aoife',
  'Cian',
  'Siobhan',
  'Eoin',
  'Olivia',
  'James',
  'Amelia',
  'Oliver',
  'Priya',
  'Arjun',
  'Fatima',
  'Omar',
  'Yuki',
  'Wei',
  'Mei',
  'Kwame',
  'Amara',
  'Nikos',
  'Eleni',
  'Andrei',
  'Ioana',
  'Mikko',
  'Aino',
  'Bjørn',
  'Ingrid',
];

export const FAMILY_NAMES = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'García',
  'Fernández',
  'López',
  'Martínez',
  'Rossi',
  'Russo',
  'Ferrari',
  'Esposito',
  'Bianchi',
  'Martin',
  'Bernard',
  'Dubois',
  'Thomas',
  'Robert',
  'Petit',
  'de Jong',
  'Jansen',
  'de Vries',
  'van den Berg',
  'Bakker',
  'Nowak',
  'Kowalski',
  'Wiśniewski',
  'Wójcik',
  'Novák',
  'Svoboda',
  'Andersson',
  'Johansson',
  'Karlsson',
  'Nielsen',
  'Hansen',
  'Korhonen',
  'Virtanen',
  "O'Brien",
  'Murphy',
  'Kelly',
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Silva',
  'Santos',
  'Ferreira',
  'Papadopoulos',
  'Popescu',
  'Ionescu',
  'Horvat',
  'Nagy',
  'Kovács',
  'Patel',
  'Khan',
  'Nguyen',
  'Tanaka',
  'Chen',
  'Okafor',
  'Mensah',
  'Haddad',
  'Yilmaz',
  'Demir',
  'Costa',
  'Lambert',
];

/** Departments and the job titles found in each. */
export const DEPARTMENT_ROLES: Readonly<Record<string, readonly string[]>> = {
  Engineering: [
    'Software Engineer',
    'Senior Software Engineer',
    'Staff Engineer',
    'Engineering Manager',
    'QA Engineer',
  ],
  Platform: ['Site Reliability Engineer', 'Platform Engineer', 'Database Administrator', 'Head of Infrastructure'],
  Security: ['Security Analyst', 'Security Engineer', 'Chief Information Security Officer'],
  Data: ['Data Analyst', 'Data Scientist', 'Data Engineer'],
  Product: ['Product Manager', 'Senior Product Manager', 'Product Owner'],
  Design: ['Product Designer', 'UX Researcher'],
  Sales: ['Account Executive', 'Sales Development Representative', 'Head of Sales'],
  'Customer Success': ['Customer Success Manager', 'Support Specialist', 'Support Team Lead'],
  Finance: ['Financial Controller', 'Accountant', 'Head of Finance'],
  'Human Resources': ['HR Business Partner', 'Recruiter', 'People Operations Specialist'],
  Legal: ['Legal Counsel', 'Data Protection Officer', 'Paralegal'],
  Marketing: ['Marketing Manager', 'Content Strategist', 'Growth Marketer'],
  Operations: ['Operations Lead', 'Office Manager', 'Procurement Officer'],
  'IT Support': ['IT Administrator', 'Service Desk Analyst'],
  Research: ['Research Scientist', 'Research Intern'],
};

/** Parallel arrays (department, job title) with one entry per pair, for picking both with one index. */
export const ROLE_DEPARTMENTS = Object.entries(DEPARTMENT_ROLES).flatMap(([d, titles]) => titles.map(() => d));
export const ROLE_TITLES = Object.values(DEPARTMENT_ROLES).flat();

/** Weighted by repetition: most users keep the default. */
export const LOCALES = [
  'en',
  'en',
  'en',
  'en',
  'en-GB',
  'de',
  'de',
  'fr',
  'fr',
  'nl',
  'es',
  'it',
  'pl',
  'sv',
  'pt',
  'fi',
];

/** Weighted by repetition. */
export const USER_STATUSES = [...Array<string>(46).fill('active'), 'disabled', 'disabled', 'invited', 'locked'];

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.92',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/126.0.6478.71 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/125.0.6422.165 Mobile Safari/537.36',
  'AcmePortal/4.12.0 (iOS 17.5; iPhone15,2) CFNetwork/1496.0.7 Darwin/23.5.0',
  'okhttp/4.12.0',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'Go-http-client/2.0',
  'obexal-sdk-node/3.4.1 node/20.15.0',
];

export const OAUTH_CLIENTS = [
  'portal-web',
  'portal-web',
  'portal-web',
  'mobile-ios',
  'mobile-android',
  'admin-console',
  'billing-api',
  'crm-sync',
  'grafana',
  'gitlab',
  'support-desk',
  'data-warehouse-etl',
];

export const SCOPE_SETS = [
  'openid profile email',
  'openid profile email',
  'openid profile email offline_access',
  'openid email',
  'openid profile email groups',
  'api:read',
  'api:read api:write',
  'billing:read invoices:write',
];

export const GRANT_TYPES = [
  'authorization_code',
  'authorization_code',
  'authorization_code',
  'refresh_token',
  'refresh_token',
  'client_credentials',
];

export const LOGIN_FAILURE_REASONS = [
  'invalid_credentials',
  'invalid_credentials',
  'invalid_credentials',
  'invalid_mfa_code',
  'account_locked',
  'user_disabled',
  'rate_limited',
];

/** Documentation prefixes (RFC 5737) and a private range: realistic-looking addresses that belong to nobody. */
export const IPV4_PREFIXES = ['203.0.113.', '198.51.100.', '192.0.2.', '10.24.8.', '10.24.9.'];
export const IPV6_PREFIXES = ['2001:db8:4f1a:', '2001:db8:9c02:', '2001:db8:77:'];

export const USER_FIELDS_CHANGED = [
  'display_name',
  'job_title',
  'department',
  'locale',
  'family_name',
  'status',
  'email',
  'job_title,department',
];

export const WEBHOOK_EVENT_SETS = [
  ['user.created', 'user.updated', 'user.deleted'],
  ['auth.login.failed'],
  ['user.created', 'user.deleted'],
  ['oauth.signing_key.rotated'],
];

export const WEBHOOK_PATHS = ['/hooks/obexal', '/api/v1/identity/events', '/integrations/obexal/webhook'];

/** Bulk users' passwords: a small pool whose argon2id hashes are computed once and shared. */
export const BULK_PASSWORDS = [
  'Winter2024!rotate',
  'correct-horse-battery-staple',
  'Sommer#Berlin1987',
  'P@ssw0rd-acme-42',
  'blue.kettle.orbit.7',
  'Qwerty!Lyon2023',
  'tulpen-fiets-regen',
  'Mariposa$2019verde',
];
