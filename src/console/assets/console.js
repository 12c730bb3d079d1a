// Tessera console behaviour, progressive: every page works without it.
// Copy buttons: <button data-copy="input-id"> copies that input's value.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.addEventListener('click', async () => {
    const input = document.getElementById(button.dataset.copy);
    const status = button.closest('section')?.querySelector('.copy-status');
    try {
      await navigator.clipboard.writeText(input.value);
      if (status) status.textContent = 'Copied to the clipboard.';
    } catch {
      input.select();
      if (status) status.textContent = 'Selected: press Ctrl+C (or Cmd+C) to copy.';
    }
  });
}
// "Select all" checkboxes: <input type="checkbox" data-select-all="name">.
for (const all of document.querySelectorAll('input[data-select-all]')) {
  all.addEventListener('change', () => {
    for (const box of document.querySelectorAll(`input[type="checkbox"][name="${all.dataset.selectAll}"]`)) box.checked = all.checked;
  });
}
