// `make bench-load` (bench/load.sh runs it, once per stage): the replaced system's k6 load profile, one
// constant-VUs stage: LOAD_VUS virtual users each posting to /api/v1/recognise_user, a random query photo of a random
// enrolled person at a time, back to back, for LOAD_DURATION (k6-recognise.js: the call and its accounting).
// setup() and teardown() log the markers between which bench/load_stages.py measures the stage (CPU, the service's
// metrics).
//
// Environment (k6 -e): LOAD_URL (base URL), LOAD_VUS, LOAD_DURATION (k6 duration: 60s, 5m), LOAD_PEOPLE_FILE and
// LOAD_QUERIES_FILE (bench/enrol_lfw.py's people.json and queries.json), LOAD_SUMMARY (where handleSummary writes
// k6's summary as JSON).
import { gallery, recognitionCounters, recogniseRandomQuery, summaryLines } from './k6-recognise.js';

const photos = gallery(__ENV.LOAD_PEOPLE_FILE, __ENV.LOAD_QUERIES_FILE);
const url = `${__ENV.LOAD_URL}/api/v1/recognise_user`;
const counters = recognitionCounters('load');

export const options = {
    scenarios: {
        load: {
            executor: 'constant-vus',
            vus: parseInt(__ENV.LOAD_VUS, 10),
            duration: __ENV.LOAD_DURATION,
            gracefulStop: '60s', // the calls in flight at the end are answered and counted
        },
    },
    summaryTrendStats: ['min', 'avg', 'p(50)', 'p(95)', 'p(99)', 'max', 'count'],
};

export function setup() {
    console.log('facematrix-load: stage start');
}

export default function () {
    recogniseRandomQuery(url, photos, counters);
}

export function teardown() {
    console.log('facematrix-load: stage end');
}

export function handleSummary(data) {
    return {
        [__ENV.LOAD_SUMMARY]: JSON.stringify(data, null, 2),
        stdout: summaryLines(data, 'load').join('\n') + '\n',
    };
}
