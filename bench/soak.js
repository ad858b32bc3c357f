// `make soak` (bench/soak.sh runs it): POST /api/v1/recognise_user at a constant arrival rate, each call a random
// query photo of a random enrolled person (k6-recognise.js: the call and its accounting). Threshold-free: it only
// counts, and bench/soak.sh judges.
//
// Environment (k6 -e): SOAK_URL (base URL), SOAK_RATE (calls per second), SOAK_DURATION (k6 duration: 30m, 90s),
// SOAK_PEOPLE_FILE and SOAK_QUERIES_FILE (bench/enrol_lfw.py's people.json and queries.json), SOAK_SUMMARY (where
// handleSummary writes k6's summary as JSON).
import { gallery, recognitionCounters, recogniseRandomQuery, summaryLines } from './k6-recognise.js';

const rate = parseInt(__ENV.SOAK_RATE, 10);
const photos = gallery(__ENV.SOAK_PEOPLE_FILE, __ENV.SOAK_QUERIES_FILE);
const url = `${__ENV.SOAK_URL}/api/v1/recognise_user`;
const counters = recognitionCounters('soak');

export const options = {
    scenarios: {
        soak: {
            executor: 'constant-arrival-rate',
            rate: rate,
            timeUnit: '1s',
            duration: __ENV.SOAK_DURATION,
            // A call takes ~0.05-0.2 s, so a few VUs keep the rate; more start only if answers slow down.
            preAllocatedVUs: Math.max(2, rate),
            maxVUs: Math.max(20, rate * 20),
        },
    },
    summaryTrendStats: ['min', 'avg', 'p(50)', 'p(95)', 'p(99)', 'max', 'count'],
    // A new connection for every call (closed after it), so that the service's descriptor count does not follow
    // how many VUs k6 keeps connected, and a descriptor leaked per connection shows.
    noConnectionReuse: true,
};

export default function () {
    recogniseRandomQuery(url, photos, counters);
}

export function handleSummary(data) {
    return {
        [__ENV.SOAK_SUMMARY]: JSON.stringify(data, null, 2),
        stdout: summaryLines(data, 'soak').join('\n') + '\n',
    };
}
