import { test, expect } from '@playwright/test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeHome, startServer } from './studioServer'

test('create a project from a template, restart the server, reopen it from the recent list intact', async ({ page }) => {
  const dirs = await makeHome()
  let server = await startServer(dirs)
  await page.goto(server.launchUrl)
  await expect(page.getByTestId('status-backend')).toContainText('browser mode')
  // The token leaves the address bar once taken.
  expect(page.url()).not.toContain('token=')

  await page.getByTestId('create-name').fill('Ocular study')
  await page.getByTestId('create-template').selectOption('rgb-nir-ocular')
  await expect(page.getByText('Classes: background, sclera, iris, pupil')).toBeVisible()
  await page.getByTestId('create-submit').click()
  await expect(page).toHaveURL(/#\/gallery$/)
  await expect(page.getByTestId('status-project')).toHaveText('Ocular study')

  const projectFile = join(dirs.projects, 'ocular-study', 'twinlight.json')
  const created = await readFile(projectFile, 'utf8')
  expect(JSON.parse(created)).toMatchObject({ name: 'Ocular study', classes: [{ name: 'background' }, { name: 'sclera' }, { name: 'iris' }, { name: 'pupil' }] })

  // Restart: a new server process, a new token, no project open.
  await server.stop()
  server = await startServer(dirs)
  await page.goto(server.launchUrl)
  await expect(page.getByTestId('status-project')).toHaveText('No project')
  await page.getByTestId('recent-Ocular study').click()
  await expect(page).toHaveURL(/#\/gallery$/)
  await expect(page.getByTestId('status-project')).toHaveText('Ocular study')
  await page.getByTestId('nav-projects').click()
  await expect(page.getByTestId('current-project')).toContainText('Near infrared')
  await expect(page.getByTestId('current-project')).toContainText('4 classes')
  expect(await readFile(projectFile, 'utf8')).toBe(created)
  await server.stop()
})

test('a backend validation error reaches the user as a toast', async ({ page }) => {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  await page.goto(server.launchUrl)
  await page.getByTestId('open-dir').fill('/definitely/not/a/project')
  await page.getByTestId('open-submit').click()
  await expect(page.getByTestId('toast')).toContainText('/definitely/not/a/project is not a Twinlight project')
  await server.stop()
})

test('the page refuses to work without the token', async ({ page }) => {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  await page.goto(server.url)
  await expect(page.getByText('this page needs the token')).toBeVisible()
  await server.stop()
})
