// The call that `make soak` (soak.js) and `make bench-load` (load.js) repeat: POST /api/v1/recognise_user with a
// random query photo of a random enrolled person, and its accounting. Threshold-free: it only counts.
// A call is an error when the answer is not 200 (or never comes, or is not JSON); a 200 that is not "Match found"
// with the person the photo shows is a non-match (a recognition miss, not an availability failure); wrong_person is
// the part of the non-matches that were taken for someone else.
//
// The people file is [{user_id, identity, first, count}] (person i's photos are queries[first ..< first + count]),
// the queries file [{user_id, file, jpeg_b64}], as bench/enrol_lfw.py writes them.
import { SharedArray } from 'k6/data';
import encoding from 'k6/encoding';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

/** The people and their query photos, loaded once and shared by every VU (not copied into each). */
export function gallery(peopleFile, queriesFile) {
    return {
        people: new SharedArray('people', () => JSON.parse(open(peopleFile))),
        queries: new SharedArray('queries', () => JSON.parse(open(queriesFile))),
    };
}

/** The counters of the calls, named PREFIX_matches, PREFIX_errors, ... (created in the init context). */
export function recognitionCounters(prefix) {
    const counter = (name) => new Counter(`${prefix}_${name}`);
    return {
        matches: counter('matches'),
        errors: counter('errors'),
        errorsNetwork: counter('errors_network'),
        errors4xx: counter('errors_4xx'),
        errors5xx: counter('errors_5xx'),
        errorsBody: counter('errors_bad_body'), // 200 whose body is not JSON
        nonMatches: counter('non_matches'),
        wrongPerson: counter('wrong_person'),
    };
}

let logged = 0; // failures logged by this VU: the first few are enough to see what went wrong

function note(kind, response) {
    if (logged >= 5) return;
    logged += 1;
    const body = typeof response.body === 'string' ? response.body.slice(0, 300) : '';
    console.warn(`${kind}: status ${response.status} ${response.error || ''} ${body}`);
}

/** One call to URL (recognise_user) with a random photo of a random person of GALLERY, counted in COUNTERS. */
export function recogniseRandomQuery(url, { people, queries }, counters) {
    const person = people[Math.floor(Math.random() * people.length)];
    const query = queries[person.first + Math.floor(Math.random() * person.count)];
    const image = encoding.b64decode(query.jpeg_b64, 'std');
    const name = query.file.split('/').pop();
    const response = http.post(url, { image: http.file(image, name, 'image/jpeg') }, {
        timeout: '60s',
        tags: { name: 'recognise_user' },
    });
    const answer = parsedAnswer(response);
    countStatus(counters, response.status, answer);
    if (answer === null) {
        note(response.status === 0 ? 'no answer' : response.status === 200 ? 'unreadable answer' : 'error', response);
        return;
    }
    countDecision(counters, answer, query);
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
function countStatus(counters, status, answer) {
    counters.errorsNetwork.add(status === 0 ? 1 : 0);
    counters.errors4xx.add(status >= 400 && status < 500 ? 1 : 0);
    counters.errors5xx.add(status >= 500 ? 1 : 0);
    counters.errorsBody.add(status === 200 && answer === null ? 1 : 0);
    counters.errors.add(answer === null ? 1 : 0);
    if (answer === null) {
        counters.matches.add(0);
        counters.nonMatches.add(0);
        counters.wrongPerson.add(0);
    }
}

/** A match with the photo's own person, or not: a non-match, or (the worst) someone else. */
function countDecision(counters, answer, query) {
    const found = answer.message === 'Match found';
    const who = found && answer.user_info ? answer.user_info.id : null;
    const right = who === query.user_id;
    counters.matches.add(right ? 1 : 0);
    counters.nonMatches.add(right ? 0 : 1);
    counters.wrongPerson.add(found && !right ? 1 : 0);
}

/** k6's summary lines of a run: the counts of the calls and the latency of the answered ones. */
export function summaryLines(data, prefix) {
    const count = (name) => (data.metrics[name] ? data.metrics[name].values.count : 0);
    const answered = data.metrics['http_req_duration{expected_response:true}'];
    const duration = answered ? answered.values : {};
    const ms = (stat) => `${(duration[stat] || 0).toFixed(1)} ms`;
    return [
        `k6: ${count('http_reqs')} requests in ${(data.state.testRunDurationMs / 1000).toFixed(0)} s: ` +
            `${count(`${prefix}_matches`)} matched, ${count(`${prefix}_errors`)} errors, ` +
            `${count(`${prefix}_non_matches`)} non-matches (${count(`${prefix}_wrong_person`)} taken for someone ` +
            `else), ${count('dropped_iterations')} dropped`,
        `k6: latency of the answered calls: p50 ${ms('p(50)')}, p95 ${ms('p(95)')}, p99 ${ms('p(99)')}, ` +
            `max ${ms('max')}`,
    ];
}
