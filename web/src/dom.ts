/** The page's element with this id, or an error naming it (the HTML and the code disagree). */
export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`lab page: element #${id} is missing`);
  return node as T;
}
