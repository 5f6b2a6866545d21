import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const theme = localStorage.getItem('konui.theme');
// Dark by default; the header's switch picks light and is remembered.
if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;

export default mount(App, { target: document.getElementById('app')! });
