// `make soak` (bench/soak.sh runs it): POST /api/v1/recognise_user at a constant arrival rate, each call a random
// query photo of a random enrolled person. Threshold-free: it only counts, and bench/soak.sh judges.
// A call is an error when the answer is not 200 (or never comes, or is not JSON); a 200 that is not "Match found"
// with the person the photo shows is a non-match (a recognition miss, not an availability failure); wrong_person is
// the part of the non-matches that were taken for someone else.
//
// Environment (k6 -e): SOAK_URL (base URL), SOAK_RATE (calls per second), SOAK_DURATION (k6 duration: 30m, 90s),
// SOAK_PEOPLE_FILE ([{user_id, identity, first, count}]: person i's photos are queries[first ..< first + count]),
// SOAK_QUERIES_FILE ([{user_id, file, jpeg_b64}]), SOAK_SUMMARY (where handleSummary writes k6's summary as JSON).
import { SharedArray } from 'k6/data';
import encoding from 'k6/encoding';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

const rate = parseInt(__ENV.SOAK_RATE, 10);
// Loaded once and shared by every VU (not copied into each).
const people = new SharedArray('people', () => JSON.parse(open(__ENV.SOAK_PEOPLE_FILE)));
const queries = new SharedArray('queries', () => JSON.parse(open(__ENV.SOAK_QUERIES_FILE)));
const url = `${__ENV.SOAK_URL}/api/v1/recognise_user`;

const matches = new Counter('soak_matches');
const errors = new Counter('soak_errors');
const errorsNetwork = new Counter('soak_errors_network');
const errors4xx = new Counter('soak_errors_4xx');
const errors5xx = new Counter('soak_errors_5xx');
const errorsBody = new Counter('soak_errors_bad_body'); // 200 whose body is not JSON
const nonMatches = new Counter('soak_non_matches');
const wrongPerson = new Counter('soak_wrong_person');

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

let logged = 0; // failures logged by this VU: the first few are enough to see what went wrong

function note(kind, response) {
    if (logged >= 5) return;
    logged += 1;
    const body = typeof response.body === 'string' ? response.body.slice(0, 300) : '';
    console.warn(`${kind}: status ${response.status} ${response.error || ''} ${body}`);
}

export default function () {
    const person = people[Math.floor(Math.random() * people.length)];
    const query = queries[person.first + Math.floor(Math.random() * person.count)];
    const image = encoding.b64decode(query.jpeg_b64, 'std');
    const name = query.file.split('/').pop();
    const response = http.post(url, { image: http.file(image, name, 'image/jpeg') }, {
        timeout: '60s',
        tags: { name: 'recognise_user' },
    });
    const answer = parsedAnswer(response);
    countStatus(response.status, answer);
    if (answer === null) {
        note(response.status === 0 ? 'no answer' : response.status === 200 ? 'unreadable answer' : 'error', response);
        return;
    }
    countDecision(answer, query);
}

/** The JSON body of a 200, or null (any other status, or a body that is not JSON). */
function parsedAnswer(response) {
    if (response.status !== 200) return null;
    try {
        return response.json();
    } catch (error) {
        return null;
    }
}

/** Every counter is added to on every call, so each one is in the summary even when it stays at 0. */
function countStatus(status, answer) {
    errorsNetwork.add(status === 0 ? 1 : 0);
    errors4xx.add(status >= 400 && status < 500 ? 1 : 0);
    errors5xx.add(status >= 500 ? 1 : 0);
    errorsBody.add(status === 200 && answer === null ? 1 : 0);
    errors.add(answer === null ? 1 : 0);
    if (answer === null) {
        matches.add(0);
        nonMatches.add(0);
        wrongPerson.add(0);
    }
}

/** A match with the photo's own person, or not: a non-match, or (the worst) someone else. */
function countDecision(answer, query) {
    const found = answer.message === 'Match found';
    const who = found && answer.user_info ? answer.user_info.id : null;
    const right = who === query.user_id;
    matches.add(right ? 1 : 0);
    nonMatches.add(right ? 0 : 1);
    wrongPerson.add(found && !right ? 1 : 0);
}

export function handleSummary(data) {
    const count = (name) => (data.metrics[name] ? data.metrics[name].values.count : 0);
    const answered = data.metrics['http_req_duration{expected_response:true}'];
    const duration = answered ? answered.values : {};
    const requests = count('http_reqs');
    const ms = (stat) => `${(duration[stat] || 0).toFixed(1)} ms`;
    const lines = [
        `k6: ${requests} requests in ${(data.state.testRunDurationMs / 1000).toFixed(0)} s: ` +
            `${count('soak_matches')} matched, ${count('soak_errors')} errors, ` +
            `${count('soak_non_matches')} non-matches (${count('soak_wrong_person')} taken for someone else), ` +
            `${count('dropped_iterations')} dropped`,
        `k6: latency of the answered calls: p50 ${ms('p(50)')}, p95 ${ms('p(95)')}, p99 ${ms('p(99)')}, ` +
            `max ${ms('max')}`,
    ];
    return {
        [__ENV.SOAK_SUMMARY]: JSON.stringify(data, null, 2),
        stdout: lines.join('\n') + '\n',
    };
}
