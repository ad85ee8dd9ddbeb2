/**
 * The progress page: plain HTML and a little script. Submitting queues a job; the page then follows it
 * with an EventSource on the job's event stream and shows its progress and result. Everything the job
 * returns is put in the page as text, never as HTML.
 */
export const progressPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>queuewire · text analysis</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  textarea { width: 100%; min-height: 8rem; font: inherit; }
  button { font: inherit; padding: .4rem 1.2rem; }
  .bar { display: flex; align-items: center; gap: .8rem; margin: 1.2rem 0 .4rem; }
  progress { flex: 1; height: 1.4rem; }
  #percent { min-width: 3.5rem; text-align: right; font-variant-numeric: tabular-nums; }
  #status { color: #555; min-height: 1.5rem; }
  #result { border-top: 1px solid #ddd; margin-top: 1rem; }
</style>
</head>
<body>
<h1>Text analysis</h1>
<p>Paste some text; a background worker counts its words while you watch.</p>
<form id="form">
  <textarea id="text" name="text" required>The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs on.</textarea>
  <button id="submit" type="submit">Analyse</button>
</form>
<div class="bar"><progress id="bar" max="100" value="0"></progress><span id="percent">0%</span></div>
<p id="status" role="status"></p>
<section id="result" hidden>
  <h2>Result</h2>
  <p><span id="words"></span> words, <span id="characters"></span> characters.</p>
  <ol id="top-words"></ol>
</section>
<script>
  const $ = (id) => document.getElementById(id);
  const showProgress = (value) => {
    const percent = typeof value === 'number' ? Math.max(0, Math.min(100, Math.round(value))) : 0;
    $('bar').value = percent;
    $('percent').textContent = percent + '%';
  };
  const finish = (message) => {
    $('status').textContent = message;
    $('submit').disabled = false;
  };

  $('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('submit').disabled = true;
    $('result').hidden = true;
    showProgress(0);
    $('status').textContent = 'Queueing…';
    const response = await fetch('/analyse', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: $('text').value }),
    }).catch(() => undefined);
    if (!response || !response.ok) {
      const body = response ? await response.json().catch(() => undefined) : undefined;
      return finish('Could not queue: ' + (body && body.error ? body.error.message : 'no answer from the server'));
    }
    const { id } = await response.json();

    // The stream sends the job's state first, then each progress, then completed or failed.
    // EventSource reconnects by itself (sending Last-Event-ID), so the page only closes it at the end.
    const events = new EventSource('/jobs/text/' + encodeURIComponent(id) + '/events');
    events.addEventListener('state', (message) => {
      const status = JSON.parse(message.data);
      showProgress(status.progress);
      $('status').textContent = 'Job ' + status.id + ': ' + status.state;
    });
    events.addEventListener('progress', (message) => {
      showProgress(JSON.parse(message.data).progress);
      $('status').textContent = 'Job ' + id + ': working';
    });
    events.addEventListener('completed', (message) => {
      events.close();
      const { result } = JSON.parse(message.data);
      showProgress(100);
      $('words').textContent = result.words;
      $('characters').textContent = result.characters;
      $('top-words').replaceChildren(...result.topWords.map(({ word, count }) => {
        const item = document.createElement('li');
        item.textContent = word + ' × ' + count;
        return item;
      }));
      $('result').hidden = false;
      finish('Job ' + id + ': completed');
    });
    events.addEventListener('failed', (message) => {
      events.close();
      finish('Job ' + id + ' failed: ' + JSON.parse(message.data).failedReason);
    });
    events.addEventListener('removed', () => {
      events.close();
      finish('Job ' + id + ' was removed.');
    });
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) finish('Lost the job (it may have been removed).');
      else $('status').textContent = 'Connection lost; reconnecting…';
    });
  });
</script>
</body>
</html>
`;
