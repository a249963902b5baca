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
const NARROWING = ["speaker", "outlet", "theme", "year", "from", "to"];
const PARAMETERS = ["q", ...NARROWING, "page"];
const FACETS = [
  ["speaker", "Speakers"],
  ["outlet", "Outlets"],
  ["theme", "Themes"],
  ["year", "Years"],
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

// -- searching -----------------------------------------------------------------------------

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

async function run(pagefind, params) {
  let text = params.q || "";
  if (EVERYTHING.includes(text)) { text = ""; }
  const page = Math.max(1, whole(params.page) || 1);
  const answer = { query: text, total: 0, page, pages: 0, hits: [], facets: {}, error: null };
  if (text.length > MAX_QUERY_CHARS) {
    answer.error = `The query is too long (${text.length.toLocaleString("en")} characters); ` +
      `use at most ${MAX_QUERY_CHARS.toLocaleString("en")}.`;
    return answer;
  }
  const filters = {};
  for (const name of ["speaker", "outlet", "theme"]) {
    if (params[name]) { filters[name] = params[name]; }
  }
  if (params.year) {
    const year = whole(params.year);
    if (!(year > 0 && year < 10000)) {
      answer.error = `The year must be a number like 2017, not '${params.year}'.`;
      return answer;
    }
    filters.year = String(year).padStart(4, "0");
  }
  // Without query words: what the filters let through, newest first (undated ones last),
  // same dates by id, as the service lists them.
  const found = text
    ? await pagefind.search(text, { filters })
    : await pagefind.search(null, { filters, sort: { listing: "desc" } });
  if (text && found.results.length && unknownWord(text, await found.results[0].data())) {
    return answer;
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
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
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
  const heading = `${answer.total} statement${answer.total !== 1 ? "s" : ""}` +
    (answer.query ? ` for “${answer.query}”` : "") +
    (answer.pages > 1 ? ` (page ${answer.page} of ${answer.pages})` : "");
  const results = el("section", { "aria-labelledby": "results-h", class: "results" },
    el("h2", { id: "results-h" }, heading));
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
  try {
    pagefind = await import(new URL("pagefind/pagefind.js", ROOT).href);
    await pagefind.options({ baseUrl: ROOT.pathname });
    const [names] = await Promise.all([
      fetch(new URL("pagefind-labels.json", ROOT)).then((r) => (r.ok ? r.json() : {})).catch(() => ({})),
      pagefind.filters(), // loaded first, so searches return facet counts
    ]);
    labels = names;
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
    render(box, await run(pagefind, params), params, labels, links);
  } catch (error) {
    box.replaceChildren(el("p", { class: "notice", role: "alert" },
      "This query could not be run; try simpler words."));
    console.error("static search:", error);
  }
  box.removeAttribute("aria-busy");
}

main();
