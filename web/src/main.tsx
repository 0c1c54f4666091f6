import { render } from 'preact';
import { loadConfig } from './config';
import { Controller } from './controller';
import { App } from './ui/App';
import './styles.css';

const root = document.getElementById('app')!;
root.textContent = '';
loadConfig()
  .then((cfg) => {
    const ctl = new Controller(cfg);
    ctl.start();
    render(<App ctl={ctl} />, root);
  })
  .catch((e: unknown) => {
    render(
      <main class="boot">
        <h1>Tidepool</h1>
        <p role="alert">The app could not load its configuration: {e instanceof Error ? e.message : String(e)}</p>
      </main>,
      root,
    );
  });
