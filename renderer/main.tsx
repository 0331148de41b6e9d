import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/base.css';
import './styles/header.css';
import './styles/canvas.css';
import './styles/panel.css';
import './styles/editor.css';
import { App } from './App.js';
import { browserEnvironment, createApiClient } from './api/index.js';
import { createAppStore } from './state/app-store.js';
import { AppStoreProvider } from './state/store-context.js';

const client = createApiClient(browserEnvironment());
const store = createAppStore(client);

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');

createRoot(rootElement).render(
  <StrictMode>
    <AppStoreProvider store={store}>
      <App client={client} store={store} />
    </AppStoreProvider>
  </StrictMode>,
);
