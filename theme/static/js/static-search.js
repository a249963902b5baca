// Search on a plain static host: /search/?q=… runs in the browser with Pagefind.
//
// `onrecord build` indexes the statement pages into pagefind/ and writes the facets' display
// names to pagefind-labels.json. Behind the search service this file never runs: the service
// answers /search/ itself, server-rendered. Same URL parameters (q, speaker, outlet, theme,
// year, page), same facet values (ids) and the same page structure as the service's results
// (theme/templates/_search_results.html), so a link to a search works on both kinds of host.
// Loaded by search.html as a module (CSP script-src 'self': no inline script anywhere).

// theme/js/static-search.js → the site root, wherever the site is hosted (links are relative).
const ROOT = new URL("../../", import.meta.url);
const PER_PAGE = 20; // as the search service
const UNDATED = "undated";  // the year facet's value for undated statements (search/answers.py)
const NARROWING = ["speaker", "outlet", "theme", "year", "source", "from", "to"];
// `exact=1`: the query as typed, never replaced by its correction ("Search instead for").
const PARAMETERS = ["q", ...NARROWING, "page", "exact"];
const FACETS = [
  ["speaker", "Speakers"],
  ["outlet", "Outlets"],
  ["theme", "Themes"],
  ["year", "Years"],
  ["source", "Sources"],
];
const EVERYTHING = ["*", "*:*"]; // asked for as a query, it is the listing of everything
const MAX_QUERY_CHARS = 1000;
const MAX_PARAM = 10000;
const SNIPPET_CHARS = 240;
const EXCERPT_WORDS = 30; // Pagefind's own excerpt length
const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

// -- parameters and links, as serve.py reads and writes them ---------------------------------

function clean(value) {
  // Control characters become spaces; whitespace collapses.
  return String(value).slice(0, MAX_PARAM).replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")
    .split(/\s+/).filter(Boolean).join(" ");
}

function readParams(search) {
  const raw = new URLSearchParams(search);
  const params = {};
  for (const name of PARAMETERS) {
    const value = raw.has(name) ? clean(raw.get(name)) : "";
    if (value) { params[name] = value; }
  }
  return params;
}

// The query string for `params` changed by `change` (null removes); back to page 1 unless set.
function link(params, change) {
  const merged = {};
  for (const [name, value] of Object.entries(params)) {
    if (name !== "page") { merged[name] = value; }
  }
  Object.assign(merged, change);
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(merged)) {
    if (value) { query.append(name, value); }
  }
  return "?" + query.toString();
}

function whole(value) {
  return /^\s*[+-]?\d+\s*$/.test(value || "") ? parseInt(value, 10) : null;
}

function humanDate(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return `${day} ${MONTHS[month - 1]} ${year}`;
}

// -- the archive's words: spellings, other names, corrections --------------------------------
//
// `onrecord build` writes search/spellings.json (plugins/onrecord/search/static_table.py) from
// the vocabulary the search service answers from: each skeleton with the archive's words of
// that skeleton (most used first, each with its count), the shorter words with theirs, the
// themes' and outlets' other names, the stop words and the service's constants. With it the
// page answers as the service does: a query word the archive does not hold is searched for
// in the archive's spellings of it (search/query.py `with_variants`), and a query that finds
// nothing is corrected by the service's rule (`_suggestion`, `_RankedCorrector`).

// Ported line for line from plugins/onrecord/search/variants.py `skeleton()` (a test runs
// both on the seed archive's vocabulary): what is left of an analysed word once spelling is
// set aside. Words with the same skeleton are spellings of one another.
const SOUNDS = [["ou", "u"], ["gh", "k"], ["q", "k"], ["c", "k"], ["w", "v"], ["ph", "f"]];
const ARTICLE = /^(?:[ae]l(?=[b-df-hj-np-tv-z][a-z]{2,})|a([dstznr])(?=\1[a-z]{2,}))/;
const VOWELS = /[aeiouy]+/g;
const DOUBLED = /(.)\1+/g;

export function skeleton(word) {
  if (!/^[A-Za-z]+$/.test(word)) { return word; } // str.isalpha() and str.isascii()
  for (const [written, said] of SOUNDS) { word = word.replaceAll(written, said); }
  word = word.length > 6 ? word.replace(ARTICLE, "") : word;
  return word.replace(VOWELS, "a").replace(DOUBLED, "$1");
}

// Ported from whoosh/lang/porter.py `stem()` (Whoosh's own Porter stemmer, quirks kept: a
// test compares them): the service offers no correction shorter than the typo's stem.
const STEP2 = {
  ational: "ate", tional: "tion", enci: "ence", anci: "ance", izer: "ize", bli: "ble",
  alli: "al", entli: "ent", eli: "e", ousli: "ous", ization: "ize", ation: "ate", ator: "ate",
  alism: "al", iveness: "ive", fulness: "ful", ousness: "ous", aliti: "al", iviti: "ive",
  biliti: "ble", logi: "log",
};
const STEP3 = { icate: "ic", ative: "", alize: "al", iciti: "ic", ical: "ic", ful: "", ness: "" };
const CONS_SEQ = "[^aeiouy]+";
const VOWEL_SEQ = "[aeiou]+";
const MGR0 = new RegExp(`^(${CONS_SEQ})?${VOWEL_SEQ}${CONS_SEQ}`);
const MEQ1 = new RegExp(`^(${CONS_SEQ})?${VOWEL_SEQ}${CONS_SEQ}(${VOWEL_SEQ})?$`);
const MGR1 = new RegExp(`^(${CONS_SEQ})?${VOWEL_SEQ}${CONS_SEQ}${VOWEL_SEQ}${CONS_SEQ}`);
const S_V = new RegExp(`^(${CONS_SEQ})?[aeiouy]`);
const C_V = new RegExp(`^${CONS_SEQ}[aeiouy][^aeiouwxy]$`);
// Python's re.match anchors at the start only: these two match whole (short) words.
const AT_BL_IZ = /^(at|bl|iz)$/;
const STEP1B = /^([^aeiouylsz])\1$/;
const ED_ING = /^(.*)(ed|ing)$/;
const STEP2_RE = /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/;
const STEP3_RE = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/;
const STEP4_1 = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/;
const STEP4_2 = /^(.+?)(s|t)(ion)$/;
const STEP5 = /^(.+?)e$/;

export function porterStem(w) {
  if ([...w].length < 3) { return w; }
  const firstIsY = w[0] === "y";
  if (firstIsY) { w = "Y" + w.slice(1); }
  if (w.endsWith("s")) {
    if (w.endsWith("sses") || w.endsWith("ies")) { w = w.slice(0, -2); }
    else if (w[w.length - 2] !== "s") { w = w.slice(0, -1); }
  }
  if (w.endsWith("eed")) {
    if (MGR0.test(w.slice(0, -3))) { w = w.slice(0, -1); }
  } else {
    const m = ED_ING.exec(w);
    if (m && S_V.test(m[1])) {
      w = m[1];
      if (AT_BL_IZ.test(w)) { w += "e"; }
      else if (STEP1B.test(w)) { w = w.slice(0, -1); }
      else if (C_V.test(w)) { w += "e"; }
    }
  }
  if (w.endsWith("y") && S_V.test(w.slice(0, -1))) { w = w.slice(0, -1) + "i"; }
  let m = STEP2_RE.exec(w);
  if (m && MGR0.test(m[1])) { w = m[1] + STEP2[m[2]]; }
  m = STEP3_RE.exec(w);
  if (m && MGR0.test(m[1])) { w = m[1] + STEP3[m[2]]; }
  m = STEP4_1.exec(w);
  if (m) {
    if (MGR1.test(m[1])) { w = m[1]; }
  } else {
    m = STEP4_2.exec(w);
    if (m && MGR1.test(m[1] + m[2])) { w = m[1] + m[2]; }
  }
  m = STEP5.exec(w);
  if (m && (MGR1.test(m[1]) || (MEQ1.test(m[1]) && !C_V.test(m[1])))) { w = m[1]; }
  if (w.endsWith("ll") && MGR1.test(w)) { w = w.slice(0, -1); }
  if (firstIsY) { w = "y" + w.slice(1); }
  return w;
}

const QUERY_OPERATORS = new Set(["AND", "OR", "NOT", "TO"]);
// The index's words (search/index.py WORD_PATTERN): letters each followed by a full stop
// ("U.S."), or letters and digits joined by apostrophes ("Sha'bi").
const WORD = /(?:\p{L}\.){2,}(?![\p{L}\p{N}_])|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}\p{N}_]+)*/gu;
// A bare query word, as search/query.py `_BARE_WORD` finds them: not in a phrase.
const BARE_WORD = /"[^"]*"?|(?<![\p{L}\p{M}\p{N}_:*?-])(\p{L}[\p{L}\p{M}\p{N}_'’ʿʾ]*)(?![\p{L}\p{M}\p{N}_:*?])/gu;
const length = (word) => [...word].length; // Python's len: code points

function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

// Levenshtein distance of `a` and `b` (arrays of code points), or max + 1 beyond `max`.
function distance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) { return max + 1; }
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    let lowest = i;
    for (let j = 1; j <= b.length; j += 1) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      lowest = Math.min(lowest, row[j]);
    }
    if (lowest > max) { return max + 1; }
    previous = row;
  }
  return previous[b.length];
}

export class Words {
  constructor(table) {
    this.rule = table.rule;
    this.stop = new Set(table.stop.words);
    this.shortest = table.stop.min;
    this.count = new Map();
    this.groups = new Map();
    for (const [shape, flat] of Object.entries(table.skeletons)) {
      const words = [];
      for (let i = 0; i < flat.length; i += 2) { words.push(flat[i]); this.count.set(flat[i], flat[i + 1]); }
      this.groups.set(shape, words);
    }
    for (const [word, n] of Object.entries(table.words)) { this.count.set(word, n); }
    this.sorted = null; // every word, in code point order, for corrections (made on need)
    this.otherNames = Object.entries(table.other_names || {}).map(([name, record]) => [name.split(" "), record]);
  }

  // The words of `text` as the service's analyzer makes them (search/index.py
  // name_analyzer): lower case but a stop word in capitals (`US`), accents, apostrophes and
  // full stops gone, stop words dropped. Each with where it stands in `text`.
  analyse(text) {
    const words = [];
    for (const match of text.matchAll(WORD)) {
      const raw = match[0].includes(".") ? match[0].replaceAll(".", "") : match[0];
      const lower = raw.toLowerCase();
      const capitals = length(raw) > 1 && raw === raw.toUpperCase() && raw !== lower &&
        this.stop.has(lower) && !QUERY_OPERATORS.has(raw);
      let term = lower.normalize("NFD").replace(/\p{M}/gu, "").replace(/['’]/g, "");
      if (capitals) { term = term.toUpperCase(); }
      if (this.stop.has(term) || length(term) < this.shortest) { continue; }
      words.push({ term, start: match.index, end: match.index + match[0].length });
    }
    return words;
  }

  has(term) { return this.count.has(term); }

  // The archive's spellings of `term`, an analysed query word (variants.py `variants`).
  variants(term) {
    if (this.has(term) || length(term) < this.rule.min_word) { return []; }
    return (this.groups.get(skeleton(term)) || []).filter((w) => w !== term).slice(0, this.rule.most);
  }

  // The service's correction of one unknown word: Whoosh's ListCorrector (the first
  // `suggest_prefix` letters kept, at most `suggest_maxdist` edits) ranked as
  // query.py `_RankedCorrector` ranks (nearest first, then the most used), never shorter
  // than the word's stem, and picked as Whoosh's Corrector.suggest picks: the best
  // `suggest_limit` by (score, word), then the highest score, the first word among equals.
  correction(term) {
    const rule = this.rule;
    if (!this.sorted) { this.sorted = [...this.count.keys()].sort(cmp); }
    const typed = [...term];
    const prefix = typed.slice(0, rule.suggest_prefix).join("");
    const rest = typed.slice(rule.suggest_prefix);
    const shortest = length(porterStem(term));
    const found = [];
    for (const word of this.sorted) {
      if (!word.startsWith(prefix)) { continue; }
      const letters = [...word];
      if (letters.length < shortest) { continue; }
      const d = distance(rest, letters.slice(rule.suggest_prefix), rule.suggest_maxdist);
      if (d < 1 || d > rule.suggest_maxdist) { continue; }
      const used = this.count.get(word) || 1;
      found.push([-d + 0.5 * used / (used + 1), word]);
    }
    found.sort((a, b) => b[0] - a[0] || cmp(b[1], a[1]));
    const kept = found.slice(0, rule.suggest_limit);
    kept.sort((a, b) => b[0] - a[0] || cmp(a[1], b[1]));
    return kept.length ? kept[0][1] : null;
  }

  // `text` with each unknown word (outside phrases) replaced by its correction, or null.
  corrected(text) {
    const phrases = [...text.matchAll(/"[^"]*"?/g)].map((m) => [m.index, m.index + m[0].length]);
    let result = "";
    let at = 0;
    let changed = false;
    for (const word of this.analyse(text)) {
      if (phrases.some(([from, to]) => word.start >= from && word.start < to)) { continue; }
      if (this.has(word.term) || length(word.term) > this.rule.max_suggested_word) { continue; }
      const better = this.correction(word.term);
      if (better) {
        // The service's parser replaces the whole query term, marks and all ("<Bsaij>,"
        // becomes "basij"): the run of characters between spaces, brackets and quotes.
        let [start, end] = [word.start, word.end];
        while (start > at && !/[\s()"]/.test(text[start - 1])) { start -= 1; }
        while (end < text.length && !/[\s()"]/.test(text[end])) { end += 1; }
        if (this.analyse(text.slice(start, end)).length !== 1) { [start, end] = [word.start, word.end]; }
        result += text.slice(at, start) + better;
        at = end;
        changed = true;
      }
    }
    result += text.slice(at);
    return changed && result !== text ? result : null;
  }

  // The themes' and outlets' other names the query names: [[words as typed, kind, id]].
  synonyms(text) {
    const terms = this.analyse(text);
    const named = [];
    for (const [words, [kind, id]] of this.otherNames) {
      for (let i = 0; i + words.length <= terms.length; i += 1) {
        if (words.every((w, j) => terms[i + j].term === w)) {
          named.push([text.slice(terms[i].start, terms[i + words.length - 1].end), kind, id]);
          break;
        }
      }
    }
    return named;
  }
}

// -- searching -----------------------------------------------------------------------------

// The index's shards (plugins/onrecord/staticindex.py): a big archive is indexed in several
// Pagefind indexes, pagefind/ the newest statements and pagefind-shards/<key>/ older ones
// (listed in pagefind/shards.json), each a run of the listing order. Every search asks each shard; their answers are merged here
// rather than by Pagefind's mergeIndex, so that a shard whose answer rests on a query word it
// does not hold is left out (as a whole index's would be), and a listing keeps its order.
class Shards {
  constructor(instances) { this.instances = instances; }

  filters() { return Promise.all(this.instances.map((instance) => instance.filters())); }

  // The shards' answers to `term`: those `accept` takes (all when it is not given), results
  // by score (a listing: shard after shard, newest first), facet counts added up.
  async search(term, options, accept) {
    const answers = await Promise.all(this.instances.map((instance) => instance.search(term, options)));
    const kept = [];
    for (const found of answers) {
      if (!accept || await accept(found)) { kept.push(found); }
    }
    const results = kept.flatMap((found) => found.results);
    if (term !== null && kept.length > 1) { results.sort((a, b) => b.score - a.score); }
    const filters = {};
    for (const found of kept) {
      for (const [name, values] of Object.entries(found.filters || {})) {
        filters[name] = filters[name] || {};
        for (const [value, n] of Object.entries(values)) { filters[name][value] = (filters[name][value] || 0) + n; }
      }
    }
    return { results, filters };
  }
}

async function loadShards(pagefind) {
  const listed = await fetch(new URL("pagefind/shards.json", ROOT))
    .then((r) => (r.ok ? r.json() : [])).catch(() => []);
  // Each shard through its own pagefind.js: a module of its own, with its own WebAssembly
  // and worker. (Instances made by one module's createInstance share its WebAssembly and
  // overwrite one another's memory: "memory access out of bounds", Pagefind 1.5.)
  const others = await Promise.all(listed.map(async (folder) => {
    const shard = await import(new URL(`pagefind/${folder}pagefind.js`, ROOT).href);
    await shard.options({ baseUrl: ROOT.pathname });
    return shard;
  }));
  return new Shards([pagefind, ...others]);
}

// A word as Pagefind compares it: lower case, accents and punctuation gone.
function fold(word) {
  return word.normalize("NFD").replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();
}

function sharedPrefix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) { n += 1; }
  return n;
}

// Pagefind drops a query word found nowhere, or shortens it letter by letter until something
// matches ("november" finds "no", "basijxyz" finds "basij"); the search service finds nothing
// then. A word is known when a result's matches hold the word itself, a longer word it
// begins (Pagefind matches word beginnings) or the same stem with another ending ("countries"
// finds "country"): what the query word has beyond the shared beginning must be an ending.
const ENDINGS = new Set([
  "", "e", "s", "es", "ies", "ied", "ed", "d", "ing", "ings", "er", "ers", "est", "y", "ly",
  "ily", "al", "ally", "ial", "ion", "ions", "ive", "ity", "ities", "ment", "ments", "ness",
  "ful", "ism", "isms", "ist", "ists", "ize", "ized", "izes", "ise", "ised", "ation", "ations",
  "ic", "ical", "ous", "able", "ible", "ence", "ance", "ent", "ant",
]);

function unknownWord(text, best) {
  // `best` is any result's data: every result holds a match of every word Pagefind kept.
  const content = best.content.split(/[\r\n\s]+/g);
  if (!(best.locations || []).length) { return null; } // nothing to judge by: take Pagefind's
  // "Al-Sha'bi" is indexed whole and by its parts: "shabi" matches it.
  const matched = best.locations.flatMap((at) => {
    const indexed = content[at] || "";
    return [indexed, ...indexed.split(/[-\u2010-\u2015/]/)].map(fold);
  });
  const words = new Set(text.replace(/"/g, " ").split(/\s+/).filter((word) => fold(word)));
  for (const word of words) {
    const key = fold(word);
    const same = matched.some((m) => {
      const shared = sharedPrefix(key, m);
      return shared === key.length || (shared >= 3 && ENDINGS.has(key.slice(shared)));
    });
    if (!same) { return word; }
  }
  return null;
}

// Where the statement's text begins among the page's indexed words (its first paragraph).
function textStart(data) {
  const first = (data.anchors || []).find((anchor) => anchor.id === "p1");
  return first ? first.location : 0;
}

// As the service's snippets: about 30 words around the best matches in the text, matches in
// <mark>; only when the words are not in the text (headline, names, themes), around those.
// Built from Pagefind's word positions as text nodes: no markup from the index is parsed.
function excerpt(data) {
  const words = data.content.split(/[\r\n\s]+/g); // as Pagefind counts word positions
  const begin = textStart(data);
  let located = (data.weighted_locations || []).filter((at) => at.location >= begin);
  const lowest = located.length ? begin : 0;
  if (!located.length) { located = data.weighted_locations || []; }
  let start = lowest;
  let best = -1;
  for (const candidate of located) {
    const from = Math.max(lowest, candidate.location - 5);
    const sum = located
      .filter((at) => at.location >= from && at.location < from + EXCERPT_WORDS)
      .reduce((total, at) => total + at.balanced_score, 0);
    if (sum > best) { best = sum; start = from; }
  }
  start = Math.max(lowest, Math.min(start, words.length - EXCERPT_WORDS));
  const end = Math.min(words.length, start + EXCERPT_WORDS);
  const hits = new Set(data.locations || []);
  const nodes = [start > lowest ? "… " : ""];
  for (let at = start; at < end; at += 1) {
    nodes.push(hits.has(at) ? el("mark", {}, words[at]) : words[at], at + 1 < end ? " " : "");
  }
  nodes.push(end < words.length ? " …" : "");
  return nodes;
}

// The statement's text from its first paragraph, for listings without query words.
function opening(data) {
  let text = data.content.split(/[\r\n\s]+/g).slice(textStart(data)).join(" ");
  if (text.length > SNIPPET_CHARS) {
    text = text.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, "") + " …";
  }
  return text;
}

function facetCounts(filters) {
  const facets = {};
  for (const [name] of FACETS) {
    const counts = Object.entries((filters || {})[name] || {}).filter(([, n]) => n > 0);
    counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    facets[name] = counts;
  }
  return facets;
}

// Pagefind's answer for `text`, each query word the archive does not hold also sought in the
// archive's spellings of it (search/query.py `with_variants`): Pagefind has no OR, so every
// combination of the words' spellings is a search of its own (the words as typed first) and
// their results are merged, the statements found by the words as typed first. Returns
// `{ results, filters, expanded }`; `filters` are the facet counts of the merged results.
const MAX_COMBINATIONS = 36;

async function find(pagefind, text, filters, words) {
  const alternatives = [];
  const expanded = {};
  if (words) {
    for (const match of text.matchAll(BARE_WORD)) {
      const word = match[1];
      if (!word || QUERY_OPERATORS.has(word)) { continue; }
      const terms = words.analyse(word);
      const found = terms.length === 1 && terms[0].term === terms[0].term.toLowerCase()
        ? words.variants(terms[0].term) : [];
      if (found.length) {
        expanded[word.toLowerCase()] = found;
        alternatives.push({ start: match.index, end: match.index + word.length, spellings: [word, ...found] });
      }
    }
  }
  let combinations = [text];
  for (const { start, end, spellings } of alternatives.slice().reverse()) {
    combinations = combinations.flatMap((q) =>
      spellings.map((spelling) => q.slice(0, start) + spelling + q.slice(end)));
  }
  // The words as typed come first; beyond the cap, the later combinations are left out.
  combinations.sort((a, b) => (a === text ? -1 : b === text ? 1 : 0));
  combinations = combinations.slice(0, MAX_COMBINATIONS);
  const answers = [];
  for (const combination of combinations) {
    // Pagefind finds nothing for a word with some marks stuck to its front ("<basij"); the
    // service's analyzer sets them aside, and so does this.
    const q = combination.replace(/[^\p{L}\p{M}\p{N}\s"'’.-]/gu, " ");
    const found = await pagefind.search(q, { filters }, async (shard) =>
      shard.results.length > 0 && !unknownWord(q, await shard.results[0].data()));
    if (found.results.length) { answers.push(found); }
  }
  // A search whose statements another search found all of adds nothing ("cafee" stems to
  // what "cafe" finds): left out, so only statements found twice are read below.
  const ids = answers.map((found) => new Set(found.results.map((result) => result.id)));
  const kept = answers.filter((found, i) => !ids.some((other, j) => j !== i &&
    (j < i || other.size > ids[i].size) && found.results.every((result) => other.has(result.id))));
  answers.splice(0, answers.length, ...kept);
  if (answers.length <= 1) {
    const only = answers[0] || { results: [], filters: {} };
    return { results: only.results, filters: only.filters, expanded };
  }
  const times = new Map(); // result id → the searches that found it
  const results = [];
  for (const found of answers) {
    for (const result of found.results) {
      if (!times.has(result.id)) { results.push(result); }
      times.set(result.id, (times.get(result.id) || 0) + 1);
    }
  }
  // The searches' facet counts added up, less what the statements found more than once
  // add too many: only those are read (reading every hit's data takes seconds at 10,000).
  const counts = {};
  for (const found of answers) {
    for (const [name, values] of Object.entries(found.filters || {})) {
      counts[name] = counts[name] || {};
      for (const [value, n] of Object.entries(values)) { counts[name][value] = (counts[name][value] || 0) + n; }
    }
  }
  const repeated = results.filter((result) => times.get(result.id) > 1);
  const datas = await Promise.all(repeated.map((result) => result.data()));
  repeated.forEach((result, n) => {
    for (const [name, values] of Object.entries(datas[n].filters || {})) {
      for (const value of values) {
        if (counts[name] && counts[name][value]) { counts[name][value] -= times.get(result.id) - 1; }
      }
    }
  });
  return { results, filters: counts, expanded };
}

async function run(pagefind, params, words) {
  let text = params.q || "";
  if (EVERYTHING.includes(text)) { text = ""; }
  const page = Math.max(1, whole(params.page) || 1);
  const answer = {
    query: text, total: 0, page, pages: 0, hits: [], facets: {}, error: null,
    expanded: {}, synonyms: [], corrected: null, suggestion: null,
  };
  if (text.length > MAX_QUERY_CHARS) {
    answer.error = `The query is too long (${text.length.toLocaleString("en")} characters); ` +
      `use at most ${MAX_QUERY_CHARS.toLocaleString("en")}.`;
    return answer;
  }
  const filters = {};
  for (const name of ["speaker", "outlet", "theme", "source"]) {
    if (params[name]) { filters[name] = params[name]; }
  }
  if (params.year === UNDATED) {
    filters.year = UNDATED;  // statements whose source gives no date, as the service's
  } else if (params.year) {
    const year = whole(params.year);
    if (!(year > 0 && year < 10000)) {
      answer.error = `The year must be a number like 2017 (or ${UNDATED}), not '${params.year}'.`;
      return answer;
    }
    filters.year = String(year).padStart(4, "0");
  }
  let found;
  if (text) {
    found = await find(pagefind, text, filters, words);
    // As the service: a query that finds nothing where its correction finds something
    // shows the correction's results, unless asked for as typed (exact=1); one that finds
    // fewer than `suggest_below` statements offers a correction that finds more.
    const corrected = words && found.results.length < words.rule.suggest_below
      ? words.corrected(text) : null;
    if (corrected) {
      const instead = await find(pagefind, corrected, filters, words);
      if (instead.results.length > found.results.length) {
        if (!found.results.length && params.exact !== "1") {
          found = instead;
          answer.corrected = corrected;
        } else {
          answer.suggestion = corrected;
        }
      }
    }
    answer.expanded = found.expanded;
    answer.synonyms = words ? words.synonyms(answer.corrected || text) : [];
  } else {
    // Without query words: what the filters let through, newest first (undated ones last),
    // same dates by id, as the service lists them.
    found = await pagefind.search(null, { filters, sort: { listing: "desc" } });
  }
  answer.total = found.results.length;
  answer.pages = Math.ceil(answer.total / PER_PAGE);
  const shown = found.results.slice((page - 1) * PER_PAGE, page * PER_PAGE);
  answer.hits = (await Promise.all(shown.map((result) => result.data()))).map((data) => ({
    id: data.meta.id,
    url: data.url,
    title: data.meta.title,
    speaker: ((data.filters || {}).speaker || [])[0],
    date: data.meta.date || null,
    excerpt: text ? excerpt(data) : null,
    opening: text ? null : opening(data),
  }));
  answer.facets = facetCounts(found.filters);
  return answer;
}

// -- the page ------------------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) { node.setAttribute(name, value); }
  }
  node.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return node;
}

function label(labels, name, value) {
  return ((labels || {})[name] || {})[value] || value;
}

function browseLinks(notice) {
  // The notice's own links (speakers, themes, outlets, timeline), reused in messages.
  return [...notice.querySelectorAll("a")].map((a) => a.cloneNode(true));
}

function hitItem(hit, labels) {
  const speaker = hit.speaker ? label(labels, "speaker", hit.speaker) : "";
  return el("li", { class: "statement-item" },
    el("article", {},
      el("h3", { class: "statement-item-title" }, el("a", { href: hit.url }, hit.title || speaker)),
      el("p", { class: "meta" }, `${speaker} · `,
        hit.date
          ? el("time", { datetime: hit.date }, humanDate(hit.date))
          : "date not stated in the source"),
      el("blockquote", { class: "excerpt" },
        el("p", {}, hit.excerpt || hit.opening))));
}

function pager(answer, params) {
  if (answer.pages <= 1) { return null; }
  return el("nav", { class: "pager", "aria-label": "Result pages" },
    el("ul", {},
      answer.page > 1
        ? el("li", {}, el("a", { rel: "prev", href: link(params, { page: String(answer.page - 1) }) }, "Previous page"))
        : null,
      el("li", { "aria-current": "page" }, `Page ${answer.page} of ${answer.pages}`),
      answer.page < answer.pages
        ? el("li", {}, el("a", { rel: "next", href: link(params, { page: String(answer.page + 1) }) }, "Next page"))
        : null));
}

function zeroResults(answer, params, active, links) {
  const unfiltered = link(params, Object.fromEntries(NARROWING.map((name) => [name, null])));
  const [speakers, themes, outlets, timeline] = links;
  return el("div", { class: "zero-results" },
    el("p", {}, `No statement matches${answer.query ? ` “${answer.query}”` : ""}${active.length ? " with these filters" : ""}.`),
    el("ul", {},
      el("li", {}, "Check the spelling, or try another spelling of a name: every spelling the sources use is searchable."),
      el("li", {}, "Use fewer words: every word must match. Use ", el("code", {}, "\"quotes\""), " for an exact phrase."),
      active.length ? el("li", {}, el("a", { href: unfiltered }, "Search again without the filters"), ".") : null,
      links.length === 4
        ? el("li", {}, "Or browse the ", speakers, ", ", themes, ", ", outlets, " and ", timeline, ".")
        : null));
}

function facetsAside(answer, params, labels) {
  const sections = FACETS.filter(([name]) => (answer.facets[name] || []).length).map(([name, title]) =>
    el("section", { "aria-labelledby": `facet-${name}-h` },
      el("h2", { id: `facet-${name}-h` }, title),
      el("ul", { class: "plain" }, answer.facets[name].map(([value, count]) =>
        el("li", {},
          params[name] === value
            ? el("strong", { "aria-current": "true" }, label(labels, name, value))
            : el("a", { href: link(params, { [name]: value }) }, label(labels, name, value)),
          " ", el("span", { class: "count" }, String(count)))))));
  return sections.length ? el("aside", { class: "side facets", "aria-label": "Narrow the results" }, sections) : null;
}

function render(box, answer, params, labels, links) {
  const parts = [];
  if (answer.error) { parts.push(el("p", { class: "notice", role: "alert" }, answer.error)); }
  if (params.from || params.to) {
    parts.push(el("p", { class: "notice" },
      "Date ranges (from, to) need the archive's search service: on this host the results are not limited by date."));
  }
  const active = NARROWING.filter((name) => params[name] && !["from", "to"].includes(name));
  if (active.length) {
    const items = [];
    active.forEach((name, index) => {
      items.push(`${name} `, el("strong", {}, label(labels, name, params[name])), " (",
        el("a", { href: link(params, { [name]: null }) }, "remove"), ")", index < active.length - 1 ? ", " : "");
    });
    parts.push(el("p", { class: "active-filters" }, "Narrowed to ", items, "."));
  }
  if (answer.corrected) {
    parts.push(el("p", { class: "suggestion" }, "Showing results for ",
      el("a", { href: link(params, { q: answer.corrected, exact: null }) }, el("em", {}, answer.corrected)),
      ". Search instead for ", el("a", { href: link(params, { q: answer.query, exact: "1" }) }, answer.query), "."));
  }
  if (answer.suggestion) {
    parts.push(el("p", { class: "suggestion" }, "Did you mean ",
      el("a", { href: link(params, { q: answer.suggestion, exact: null }) }, answer.suggestion), "?"));
  }
  const heading = `${answer.total} statement${answer.total !== 1 ? "s" : ""}` +
    (answer.query ? ` for “${answer.query}”` : "") +
    (answer.pages > 1 ? ` (page ${answer.page} of ${answer.pages})` : "");
  const results = el("section", { "aria-labelledby": "results-h", class: "results" },
    el("h2", { id: "results-h" }, heading));
  const spelled = Object.entries(answer.expanded || {});
  if (spelled.length) {
    // As the service's page says it (theme/templates/_search_results.html).
    const said = spelled.map(([word, found], index) => [
      `“${word}” as `,
      found.map((spelling, n) => [n ? " or " : "", el("em", {}, spelling)]),
      index < spelled.length - 1 ? "; " : "",
    ]);
    results.append(el("p", { class: "expanded" }, "The archive spells ", said,
      ": those spellings were searched for too."));
  }
  if ((answer.synonyms || []).length) {
    const said = answer.synonyms.map(([typed, kind, id], index) => [
      `“${typed}” is another name for the ${kind} `, el("strong", {}, label(labels, kind, id)),
      index < answer.synonyms.length - 1 ? "; " : "",
    ]);
    results.append(el("p", { class: "expanded synonyms" }, said,
      ": the statements filed under it are found by it too."));
  }
  if (answer.hits.length) {
    results.append(
      el("ol", { class: "statement-list", start: String((answer.page - 1) * PER_PAGE + 1) },
        answer.hits.map((hit) => hitItem(hit, labels))),
      pager(answer, params) || "");
  } else if (answer.total) {
    results.append(el("p", { class: "notice" },
      answer.pages === 1 ? "There is only one page" : `There are only ${answer.pages} pages`,
      " of results: go to ", el("a", { href: link(params, { page: "1" }) }, "the first page"),
      answer.pages > 1 ? [" or ", el("a", { href: link(params, { page: String(answer.pages) }) }, "the last page")] : [],
      "."));
  } else if (!answer.error) {
    results.append(zeroResults(answer, params, active, links));
  }
  parts.push(el("div", { class: "record-grid" }, results, facetsAside(answer, params, labels) || ""));
  box.replaceChildren(...parts);
}

// The search boxes show the query; the page's form keeps the filters, as the service's does.
function fillForms(params) {
  for (const id of ["site-search-q", "page-search-q"]) {
    const input = document.getElementById(id);
    if (input && params.q) { input.value = params.q; }
  }
  const form = document.querySelector("form.big-search");
  if (form) {
    for (const name of NARROWING.filter((n) => params[n])) {
      form.insertBefore(el("input", { type: "hidden", name, value: params[name] }), form.querySelector("button"));
    }
  }
  if (params.q) { document.title = `${params.q}: search · ${document.title.replace(/^Search · /, "")}`; }
}

async function main() {
  const box = document.getElementById("static-search");
  const notice = document.getElementById("static-search-notice");
  if (!box || !notice) { return; }
  const links = browseLinks(notice);
  const params = readParams(window.location.search);
  fillForms(params);
  box.setAttribute("aria-busy", "true");
  const status = el("p", { class: "notice", role: "status" }, "Searching…");
  box.replaceChildren(status);
  let pagefind;
  let labels = {};
  let words = null;
  try {
    pagefind = await import(new URL("pagefind/pagefind.js", ROOT).href);
    await pagefind.options({ baseUrl: ROOT.pathname });
    pagefind = await loadShards(pagefind);
    const table = box.dataset.spellings ? new URL(box.dataset.spellings, document.baseURI) : null;
    const [names, spellings] = await Promise.all([
      fetch(new URL("pagefind-labels.json", ROOT)).then((r) => (r.ok ? r.json() : {})).catch(() => ({})),
      // Without it the page still searches, the words as typed only.
      table ? fetch(table).then((r) => (r.ok ? r.json() : null)).catch(() => null) : null,
      pagefind.filters(), // loaded first, so searches return facet counts
    ]);
    labels = names;
    words = spellings ? new Words(spellings) : null;
  } catch (error) {
    box.removeAttribute("aria-busy");
    const [speakers, themes, outlets, timeline] = links;
    box.replaceChildren(el("p", { class: "notice", role: "alert" },
      "Search could not be loaded on this host. Browse the ", speakers, ", ", themes, " and ", outlets,
      ", or the ", timeline, "."));
    console.error("static search:", error);
    return;
  }
  try {
    render(box, await run(pagefind, params, words), params, labels, links);
  } catch (error) {
    box.replaceChildren(el("p", { class: "notice", role: "alert" },
      "This query could not be run; try simpler words."));
    console.error("static search:", error);
  }
  box.removeAttribute("aria-busy");
}

if (typeof document !== "undefined") { main(); } // imported elsewhere (tests) it only defines
